"""Two appliances sharing one PostgreSQL database (docs/scaling.md): both accept mail, the
same Message-ID sent to both makes one item, and the shared outgoing queue, delivered by
both workers, sends every message exactly once.  Runs when the suite runs on PostgreSQL
(APPLIANCE_TEST_DATABASE, set by scripts/test.sh)."""
from __future__ import annotations

import email
import smtplib
import threading
from collections import Counter

import pytest
from conftest import DOMAIN, PG_URL, Box, message, wait_for
from smtpsinks import Sink

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set "
                                "APPLIANCE_TEST_DATABASE (scripts/test.sh does)")


def send(box: Box, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], raw)


def test_two_boxes_share_one_database_without_doubling_anything(tmp_path):
    a = Box(tmp_path / "a").init()
    b = Box(tmp_path / "b").init("--database", a.database)
    b.database = a.database
    boxes = (a, b)
    with Sink() as sink:
        a.deliver_to(sink, relay__delay_seconds="1")
        a.cli("users", "add", "--email", f"maria@{DOMAIN}", "--name", "Maria",
              "--role", "agent", "--password", "pw-maria-1")
        for box in boxes:
            box.start("mta")
            box.start("worker")
        try:
            # 12 messages sent to both boxes at once (same bytes, same Message-ID), and 6
            # to each box alone: 24 distinct Message-IDs, 36 receptions.
            both = [message(subject=f"Both {n}", sender=f"c{n}@client.example",
                            message_id=f"<both{n}@client.example>") for n in range(12)]
            alone = {box: [message(subject=f"Alone {i} {n}", sender=f"a{n}@client.example",
                                   message_id=f"<alone{i}.{n}@client.example>")
                           for n in range(6)] for i, box in enumerate(boxes)}
            threads = [threading.Thread(target=lambda box=box: [
                send(box, raw) for raw in both + alone[box]]) for box in boxes]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

            database = a.db()
            from appliance.helpdesk.models import IncomingMail, Item, Message
            from appliance.helpdesk.relaymodels import RelayEntry
            from appliance.outbound.models import OutgoingMail
            wait_for(lambda: IncomingMail.select().where(
                IncomingMail.action.is_null(False)).count() == 36, timeout=120,
                interval=0.5)
            actions = Counter(r.action for r in IncomingMail.select())
            assert actions == {"created": 24, "ignored": 12}, actions
            titles = Counter(i.title for i in Item.select())
            assert len(titles) == 24 and set(titles.values()) == {1}, titles

            def settled():
                if RelayEntry.select().where(RelayEntry.state == "pending").exists():
                    return None   # an answer or auto-reply still waits for its delay
                rows = list(OutgoingMail.select())
                return rows if rows and all(r.status == "delivered" for r in rows) \
                    and len(sink.received) >= len(rows) else None

            # Every item's auto-reply (A02, sent by relay after 1 s) goes out first, so
            # that the answers below make mails of their own.
            assert len(wait_for(settled, timeout=180, interval=0.5)) == 24
            # An agent answers every item, half through each box: replies go out by both
            # workers' delivery threads from the one shared queue.
            items = list(Item.select().order_by(Item.id))
            for n, item in enumerate(items):
                boxes[n % 2].cli("items", "reply", str(item.id), "--author",
                                 f"maria@{DOMAIN}", "--body", f"Answer {item.id}")
            outgoing = wait_for(settled, timeout=180, interval=0.5)
            automated = Counter(m.item_id for m in Message.select().where(
                Message.automation.is_null(False)))
            assert len(automated) == 24 and set(automated.values()) == {1}, automated
            database.close()
        finally:
            for box in boxes:
                box.stop_all()
    # Every item got the auto-reply (A02) and the agent's answer: 48 messages, once each.
    assert len(outgoing) == 48, Counter(m.kind for m in outgoing)
    got = Counter(email.message_from_bytes(r.data)["Message-ID"] for r in sink.received)
    assert len(got) == 48 and set(got.values()) == {1}, got.most_common(3)
    assert sorted(got) == sorted(m.message_id for m in outgoing)
    for box in boxes:
        log = box.log("worker")
        assert "Traceback" not in log, log[-3000:]


def test_two_boxes_migrating_a_new_database_at_once_apply_each_step_once():
    """Two services starting together on an empty database: the advisory lock makes the
    second wait for the first's migration, then find nothing left to do."""
    import subprocess
    import sys

    from conftest import fresh_database
    url = fresh_database()
    code = ("import sys; from appliance.helpdesk.database import open_database; "
            "from appliance.helpdesk import migrations; "
            "print(migrations.migrate(open_database(sys.argv[1], migrate=False)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    from appliance.helpdesk import migrations
    applied = Counter(out.decode().strip() for out, _ in outputs)
    assert applied == {"[]": 2, str(sorted(n for n, _, _ in migrations.MIGRATIONS)): 1}
    import psycopg2
    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT version FROM schema_version ORDER BY version")
            assert [r[0] for r in cur] == sorted(n for n, _, _ in migrations.MIGRATIONS)
    finally:
        con.close()
