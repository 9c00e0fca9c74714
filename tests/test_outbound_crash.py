"""Nothing queued is lost when the worker is killed with the queue full: after a SIGKILL
in the middle of delivering, the restarted worker delivers every message (the one that was
on the wire at most twice), once the dead worker's lease on its rows has run out."""
from __future__ import annotations

import signal
from collections import Counter

from conftest import DOMAIN, wait_for
from smtpsinks import Sink

from appliance.helpdesk.models import db
from appliance.outbound.models import OutgoingMail
from appliance.outbound import queue


def test_worker_killed_with_full_queue_loses_nothing(box):
    with Sink() as sink:
        box.deliver_to(sink)
        database = box.db()
        with db.atomic():
            for n in range(60):
                queue.enqueue(f"From: support@{DOMAIN}\r\nTo: c{n}@client.example\r\n"
                              f"Subject: n{n}\r\nMessage-ID: <q{n}@{DOMAIN}>\r\n\r\nbody\r\n"
                              .encode(), mail_from=f"support@{DOMAIN}",
                              recipients=[f"c{n}@client.example"], subject=f"n{n}",
                              message_id=f"<q{n}@{DOMAIN}>", kind="test")
        database.close()
        sink.behaviour.hold_data = 0.05   # slow server: the worker is mid-queue when killed
        box.start("worker")
        wait_for(lambda: len(sink.received) >= 10, timeout=30)
        box.stop("worker", signal.SIGKILL)
        got_before = len(sink.received)
        assert got_before < 60, "the worker finished before it could be killed"
        sink.behaviour.hold_data = 0
        # The restarted worker runs 20 minutes later (past the 15-minute lease).
        box.start("worker", env={"APPLIANCE_CLOCK_OFFSET": "1200"})
        rows = wait_for(lambda: (lambda r: r if all(m["status"] == "delivered" for m in r)
                                 else None)(box.json("mail", "outgoing", "--limit", "100")),
                        timeout=60)
        assert len(rows) == 60
        counts = Counter(r.rcpt_tos[0] for r in sink.received)
        assert set(counts) == {f"c{n}@client.example" for n in range(60)}
        assert sum(counts.values()) - 60 <= 1, counts.most_common(3)
        database = box.db()
        assert OutgoingMail.select().where(OutgoingMail.status != "delivered").count() == 0
        database.close()
