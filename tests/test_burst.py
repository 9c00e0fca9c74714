"""Intake leaves the CPU to the MTA while a burst arrives (issue 15, goal 1), within a
bound (``worker.burst_wait_seconds``), and files the burst at the first pause.

The rule is a function of the spool ids (they carry their arrival time) and the clock,
so it is tested here at chosen moments, without sleeping: in-process against a real
spool and a real SQLite file.  ``bench/smtp_throughput.py`` shows what it is for (the
MTA's rate with the worker running, the last ticket's delay)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import DOMAIN, message

from appliance import clock
from appliance.config import ConfigError
from appliance.helpdesk.worker import BURST_SIZE, QUIET_NS, in_a_burst
from appliance.mta.spool import arrived_ns

MS = 1_000_000
T0 = 1_796_000_000 * 10**9   # some moment in 2026, in nanoseconds


def ids(count: int, start: int = T0, step: int = MS) -> list[str]:
    """Spool ids of ``count`` entries arriving ``step`` ns apart, oldest first."""
    return [f"{start + n * step:016x}-{n:08x}" for n in range(count)]


def test_a_burst_is_many_waiting_and_one_just_come():
    burst = ids(BURST_SIZE)
    newest = arrived_ns(burst[-1])
    assert in_a_burst(burst, newest + 10 * MS, 3)
    assert in_a_burst(burst, newest, 3)


@pytest.mark.parametrize("why, entries, after_newest, longest", [
    ("fewer waiting: a trickle is filed at once", ids(BURST_SIZE - 1), 10 * MS, 3),
    ("a pause in arrivals ends the burst", ids(BURST_SIZE), QUIET_NS, 3),
    ("a backlog nobody adds to is filed", ids(500), 60 * 10**9, 3),
    ("the oldest waited the longest allowed",   # 3 s and more from the oldest to now
     ids(BURST_SIZE, step=3 * 10**9 // (BURST_SIZE - 1)), 10 * MS, 3),
    ("0 turns it off", ids(BURST_SIZE), 10 * MS, 0),
    ("a clock behind the ids (frozen in a test) is no burst", ids(BURST_SIZE), -MS, 3),
])
def test_no_burst(why, entries, after_newest, longest):
    assert not in_a_burst(entries, arrived_ns(entries[-1]) + after_newest, longest), why


def test_a_name_that_is_no_spool_id_is_as_old_as_can_be():
    assert arrived_ns("notes.txt") == 0
    entries = ids(BURST_SIZE) + ["zz-not-ours"]   # sorted last: the "newest" is no arrival
    assert not in_a_burst(entries, arrived_ns(entries[-2]) + MS, 3)


def at(nanoseconds: int) -> clock.FrozenClock:
    return clock.FrozenClock(datetime(1970, 1, 1, tzinfo=timezone.utc)
                             + timedelta(microseconds=nanoseconds // 1000))


@pytest.fixture
def burst_box(box):
    """A box with BURST_SIZE + 10 messages just spooled and a worker in this process."""
    from appliance import config
    from appliance.helpdesk.database import close_database, open_database
    from appliance.mta.spool import Envelope, Spool
    cfg = config.load(box.ini)
    spool = Spool(cfg.spool_dir).ensure()
    written = [spool.write(Envelope("ben@client.example", [f"tickets@{DOMAIN}"],
                                    peer="192.0.2.7", helo="client.example"),
                           message(subject=f"burst {n}"))
               for n in range(BURST_SIZE + 10)]
    open_database(cfg.database, create=False)
    yield box, cfg, sorted(written)
    clock.set_source(None)
    close_database()


def filed(box) -> int:
    from appliance.helpdesk.models import IncomingMail
    return IncomingMail.select().count()


def test_the_worker_files_nothing_while_the_burst_arrives_and_all_at_its_pause(burst_box):
    from appliance.helpdesk.worker import Worker
    box, cfg, written = burst_box
    worker = Worker(cfg)
    newest = arrived_ns(written[-1])
    clock.set_source(at(newest + 5 * MS))           # the MTA spooled one 5 ms ago
    assert worker.run_once() == 0 and worker.in_burst
    assert filed(box) == 0
    clock.set_source(at(newest + QUIET_NS + MS))    # 51 ms of quiet: the burst is over
    assert worker.run_once() == len(written)
    assert filed(box) == len(written) and not worker.in_burst
    assert sorted(p.name for p in (Path(cfg.spool_dir) / "done").iterdir()) == written


def test_between_looks_in_a_burst_new_is_not_listed_while_arrivals_move_it(burst_box):
    """Listing 2,000 names every 50 ms cost each intake worker 1 ms a look: while ``new/``
    keeps changing the worker only reads its mtime, and lists again once it stands still."""
    from appliance.helpdesk.worker import Worker
    from appliance.mta.spool import Envelope
    box, cfg, written = burst_box
    worker = Worker(cfg)
    looks = []
    listing = worker.spool.pending
    worker.spool.pending = lambda *a, **kw: looks.append(1) or listing(*a, **kw)
    clock.set_source(at(arrived_ns(written[-1]) + 5 * MS))
    assert worker.run_once() == 0 and worker.in_burst and len(looks) == 1
    later = worker.spool.write(Envelope("ben@client.example", [f"tickets@{DOMAIN}"],
                                        peer="192.0.2.7", helo="client.example"),
                               message(subject="one more"))   # the MTA goes on
    clock.set_source(at(arrived_ns(later) + QUIET_NS + MS))
    assert worker.run_once() == 0 and len(looks) == 1 and filed(box) == 0
    # nothing came since: new/ stands still, so the worker looks, finds the pause, files
    assert worker.run_once() == len(written) + 1 and len(looks) == 2
    assert filed(box) == len(written) + 1 and not worker.in_burst


def test_the_worker_files_a_burst_whose_oldest_waited_the_longest_allowed(burst_box):
    """A stream that never pauses is filed in turns: once its oldest waited
    ``worker.burst_wait_seconds``, intake runs whatever the MTA is doing."""
    from appliance.helpdesk.worker import Worker
    box, cfg, written = burst_box
    newest = arrived_ns(written[-1])
    clock.set_source(at(newest + MS))   # arrivals go on: a burst, by the default bound
    assert Worker(cfg).run_once() == 0 and filed(box) == 0
    # the oldest was spooled more than 1 ms before the newest: its wait is over
    assert arrived_ns(written[0]) < newest - MS
    cfg.values["worker.burst_wait_seconds"] = "0.001"
    assert Worker(cfg).run_once() == len(written) and filed(box) == len(written)


def test_burst_wait_must_be_0_to_60_seconds(box):
    from appliance import config
    from appliance.helpdesk.worker import Worker
    cfg = config.load(box.ini)
    for bad, words in (("-1", "must be 0 to 60"), ("soon", "must be a number of seconds")):
        cfg.values["worker.burst_wait_seconds"] = bad
        with pytest.raises(ConfigError, match=words):
            Worker(cfg)
