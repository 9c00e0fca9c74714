"""Upgrades: a database made by the first release (schema version 1, frozen in
tests/data/schema_v1.sql), filled with items, messages, people and settings, is brought to
the current schema by ``open_database`` with its data intact; migrations are idempotent,
safe when two services start at once, and the upgraded box takes new mail into old items."""
from __future__ import annotations

import json
import smtplib
import sqlite3
import subprocess
import sys

import pytest

from conftest import DATA, DOMAIN, ROOT, message, sqlite_only, wait_for

from appliance.helpdesk import migrations

T0 = "2026-10-01T09:00:00+00:00"


def v1_database(path) -> None:
    """The first release's database with a little of everything in it."""
    con = sqlite3.connect(path)
    con.executescript((DATA / "schema_v1.sql").read_text())
    con.executescript(f"""
    INSERT INTO person (id, email, name, created_at) VALUES
      (1, 'ben@client.example', 'Ben Carter', '{T0}'),
      (2, 'admin@{DOMAIN}', 'Administrator', '{T0}'),
      (3, 'cara@client.example', NULL, '{T0}');
    INSERT INTO user (id, person_id, role, password_hash, active, created_at)
      VALUES (1, 2, 'admin', NULL, 1, '{T0}');
    INSERT INTO item (id, type_id, title, status, requester_id, description,
      description_html, sender_verified, created_at, updated_at) VALUES
      (1, 1, 'Printer broken', 'open', 1, 'It jams.', NULL, 1, '{T0}', '{T0}'),
      (2, 2, 'Order toner', 'closed', 3, '', NULL, 0, '{T0}', '{T0}');
    INSERT INTO incomingmail (id, spool_id, received_at, processed_at, peer, helo, mail_from,
      rcpt_tos, from_email, from_name, subject, message_id, action, item_id, decision, auth,
      reasons, error, size) VALUES
      (1, 's-1', '{T0}', '{T0}', '192.0.2.1', 'mx.client.example', 'ben@client.example',
       '["tickets@{DOMAIN}"]', 'ben@client.example', 'Ben Carter', 'Printer broken',
       '<first@client.example>', 'created', 1, '{{"kind": "direct"}}', '{{"spf": "pass"}}',
       '["direct mail"]', NULL, 321);
    INSERT INTO message (id, item_id, author_id, body, body_html, internal, message_id,
      incoming_id, created_at) VALUES
      (1, 1, 1, 'It jams.', NULL, 0, '<first@client.example>', 1, '{T0}'),
      (2, 1, 2, 'Looking into it', NULL, 1, NULL, NULL, '{T0}'),
      (3, 2, 3, 'Two cartridges', NULL, 0, '<toner@client.example>', NULL, '{T0}');
    INSERT INTO follower (item_id, person_id) VALUES (1, 1), (1, 2), (2, 3);
    INSERT INTO attachment (message_id, filename, content_type, size, path)
      VALUES (1, 'jam.jpg', 'image/jpeg', 1234, 'ab/abcdef');
    INSERT INTO seen (message_id, person_id, at) VALUES (1, 2, '{T0}');
    INSERT INTO messageidclaim (message_id, item_id, spool_id)
      VALUES ('<first@client.example>', 1, 's-1');
    INSERT INTO blocked (pattern, created_at) VALUES ('*@noreply.example', '{T0}');
    INSERT INTO setting (key, value) VALUES ('relay.delay_seconds', '90');
    """)
    con.commit()
    con.close()


def check_v1_data() -> None:
    from appliance.helpdesk.models import (Attachment, Blocked, Follower, IncomingMail, Item,
                                           Message, Person, Seen, Setting, User)
    item = Item.get_by_id(1)
    assert (item.title, item.status, item.requester.email) == \
        ("Printer broken", "open", "ben@client.example")
    assert item.created_at.isoformat() == T0
    assert Item.get_by_id(2).type.name == "task" and Item.get_by_id(2).status == "closed"
    assert [m.body for m in Message.select().order_by(Message.id)] == \
        ["It jams.", "Looking into it", "Two cartridges"]
    assert Message.get_by_id(2).internal is True
    assert {(f.item_id, f.person.email) for f in Follower.select()} == \
        {(1, "ben@client.example"), (1, f"admin@{DOMAIN}"), (2, "cara@client.example")}
    assert Attachment.get().filename == "jam.jpg"
    assert Seen.select().count() == 1 and Person.select().count() == 3
    assert User.get().role == "admin"
    incoming = IncomingMail.get(IncomingMail.spool_id == "s-1")
    assert incoming.decision == {"kind": "direct"} and incoming.tls is False
    assert Blocked.get().pattern == "*@noreply.example"
    assert Setting.get_by_id("relay.delay_seconds").value == "90"


def test_first_schema_upgrades_to_current_with_data(tmp_path):
    from appliance.helpdesk.database import close_database, open_database
    path = tmp_path / "v1.db"
    v1_database(path)
    database = open_database(path)
    try:
        assert migrations.version(database) == migrations.CURRENT
        assert migrations.applied_versions(database) == {n for n, _, _ in migrations.MIGRATIONS}
        check_v1_data()
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every model's columns exist: a select of each touches every field
        from appliance.helpdesk import models, relaymodels
        from appliance.outbound import models as outbound_models
        for model in {m for module in (models, relaymodels, outbound_models)
                      for m in vars(module).values()
                      if isinstance(m, type) and issubclass(m, models.BaseModel)
                      and m is not models.BaseModel}:
            list(model.select().limit(1))
        # idempotent: nothing left to apply, the data untouched
        assert migrations.migrate(database) == []
        rows = database.execute_sql("SELECT version, count(*) FROM schema_version "
                                    "GROUP BY version HAVING count(*) > 1").fetchall()
        assert rows == []
    finally:
        close_database()
    again = open_database(path)
    assert migrations.migrate(again) == []
    check_v1_data()
    close_database()


@pytest.mark.parametrize("stop_at", sorted(n for n, _, _ in migrations.MIGRATIONS)[1:-1] or [1])
def test_every_intermediate_version_upgrades(tmp_path, monkeypatch, stop_at):
    """A box upgraded release by release ends like one upgraded in one step."""
    from appliance.helpdesk.database import close_database, open_database
    path = tmp_path / "v.db"
    v1_database(path)
    partial = [m for m in migrations.MIGRATIONS if m[0] <= stop_at]
    monkeypatch.setattr(migrations, "MIGRATIONS", partial)
    open_database(path)
    close_database()
    monkeypatch.undo()
    database = open_database(path)
    assert migrations.version(database) == migrations.CURRENT
    check_v1_data()
    close_database()


def test_two_services_starting_at_once_migrate_once(tmp_path):
    path = tmp_path / "v1.db"
    v1_database(path)
    code = ("import sys; from appliance.helpdesk.database import open_database; "
            "from appliance.helpdesk import migrations; "
            "print(migrations.version(open_database(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e.decode()[-500:] for _, e in outs]
    assert {o.strip() for o, _ in outs} == {str(migrations.CURRENT).encode()}
    con = sqlite3.connect(path)
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version")]
    con.close()
    assert sorted(versions) == sorted(n for n, _, _ in migrations.MIGRATIONS)


@sqlite_only   # the first released schema is a SQLite file
def test_upgraded_box_threads_new_mail_into_old_items(box):
    """The first release's data directory, upgraded by the services' own start."""
    db_path = box.root / "appliance.db"
    for suffix in ("", "-wal", "-shm"):
        (box.root / f"appliance.db{suffix}").unlink(missing_ok=True)
    v1_database(db_path)
    # Ben's mail is authenticated (SPF): a reply naming his own earlier message, not one
    # of ours, threads only then (helpdesk/threading.py).
    box.set_dns({"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}})
    box.start("mta")
    box.start("worker")
    items = box.json("items", "list")
    assert {i["title"] for i in items} == {"Printer broken", "Order toner"}
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="Re: [#1] Printer broken", body="Still jams.",
                              extra="In-Reply-To: <first@client.example>\r\n"))
        smtp.sendmail("dan@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="New problem", sender="dan@client.example"))

    def appended():
        shown = box.json("items", "show", "1")
        return [m["body"] for m in shown["messages"]]
    bodies = wait_for(lambda: (b := appended()) and any("Still jams." in x for x in b) and b,
                      timeout=15)
    assert bodies[:2] == ["It jams.", "Looking into it"]
    wait_for(lambda: len(box.json("items", "list")) == 3, timeout=15)
    new = max(box.json("items", "list"), key=lambda i: i["id"])
    assert new["id"] == 3 and new["title"] == "New problem"
    log = box.json("mail", "incoming")  # the 2026-10 entry is past retention: purged
    assert sorted(e["action"] for e in log) == ["appended", "created"]
    assert all(json.dumps(e) for e in log)
