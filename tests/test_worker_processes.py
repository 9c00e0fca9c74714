"""Several intake workers on one spool (issue 15, point 7): ``worker.processes = 2`` makes
the worker the message center with two intake workers beside it, each taking its share of
the spool entries.  Shown over SMTP with the installed services: every mail is filed
exactly once, a burst from one sender keeps both busy, a reply never overtakes the mail it
answers, a stopped worker holds back only its own share, a dead one is started again, and
none outlives the center."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import message, wait_for

from appliance.mta.spool import share_of, thread_ids

SENDERS = [f"customer{n}@client.example" for n in range(12)]


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def share(pid: int) -> str:
    """The share an intake worker was started with (its environment); "" while the child
    is between fork and exec (it still has the center's environment) or gone."""
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return ""
    return next((v.split(b"=", 1)[1].decode() for v in env
                 if v.startswith(b"APPLIANCE_WORKER_PART=")), "")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def intake_workers(box, count: int = 2) -> list[int]:
    center = box.procs["worker"].pid
    wait_for(lambda: len(children(center)) == count
             and all(share(p) for p in children(center)), timeout=30)
    pids = sorted(children(center), key=share)   # worker 1/N (share 0) first
    assert [share(p) for p in pids] == [f"{n}/{count}" for n in range(count)]
    wait_for(lambda: all(f"intake worker {n}/{count} started" in box.log("worker")
                         for n in range(1, count + 1)), timeout=30)
    return pids


def send(box, mails: list[tuple[str, bytes]], sessions: int = 4) -> None:
    todo = list(mails)
    lock = threading.Lock()
    errors: list[str] = []

    def run() -> None:
        try:
            with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
                while True:
                    with lock:
                        if not todo:
                            return
                        sender, raw = todo.pop(0)
                    smtp.sendmail(sender, [f"tickets@{box.domain}"], raw)
        except Exception as exc:   # surfaced below
            errors.append(repr(exc))
    threads = [threading.Thread(target=run) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


@pytest.fixture
def two(box):
    box.set_ini("worker", "processes", "2")
    box.set_ini("worker", "poll_seconds", "30")   # every wake-up is the doorbell's
    box.start("mta")
    return box


def test_two_intake_workers_file_every_mail_once_and_wake_on_the_doorbell(two):
    box = two
    box.cli("settings", "set", "automations.max_per_address_hour", "100")
    box.cli("settings", "set", "relay.delay_seconds", "1")
    box.start("worker")
    assert len(intake_workers(box)) == 2
    mails = [(s, message(sender=s, subject=f"Printer {n} of {s}",
                         message_id=f"<p{n}.{i}@client.example>"))
             for n in range(10) for i, s in enumerate(SENDERS)]
    started = time.monotonic()
    send(box, mails)
    wait_for(lambda: len(box.json("items", "list")) == len(mails), timeout=120)
    # a 30 s poll would not have filed 120 mails of both shares this soon
    assert time.monotonic() - started < 60
    incoming = box.json("mail", "incoming", "--limit", "1000")
    assert len(incoming) == len(mails)
    assert sorted(m["message_id"] for m in incoming) == sorted(
        f"<p{n}.{i}@client.example>" for n in range(10) for i in range(len(SENDERS)))
    assert {m["action"] for m in incoming} == {"created"}
    # the message center (in the center process) answered every one of them, by mail
    wait_for(lambda: len([o for o in box.json("mail", "outgoing", "--limit", "1000")
                          if "Printer" in o["subject"]]) == len(mails), timeout=60)


def test_a_reply_never_overtakes_the_mail_it_answers(two):
    box = two
    box.set_dns({"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}})
    mails = []
    for i, s in enumerate(SENDERS):
        first = f"<first{i}@client.example>"
        mails.append((s, message(sender=s, subject=f"VPN down at site {i}", message_id=first)))
        mails.append((s, message(sender=s, subject=f"Re: VPN down at site {i}",
                                 message_id=f"<second{i}@client.example>",
                                 extra=f"In-Reply-To: {first}\r\nReferences: {first}\r\n")))
    send(box, mails, sessions=1)    # in the spool, in this order, before any worker runs
    box.start("worker")
    intake_workers(box)
    wait_for(lambda: len(box.json("mail", "incoming", "--limit", "100")) == len(mails),
             timeout=120)
    items = box.json("items", "list")
    assert len(items) == len(SENDERS), [i["title"] for i in items]
    for item in items:
        shown = box.json("items", "show", str(item["id"]))
        assert len(shown["messages"]) >= 2, shown["title"]


def spooled(box) -> list[str]:
    return sorted(n for n in os.listdir(box.root / "spool" / "new") if not n.startswith("."))


def test_a_stopped_intake_worker_holds_back_only_its_share(two):
    """All mail from one sender (as from one forwarding mailbox): both workers take it."""
    box = two
    box.start("worker")
    pids = intake_workers(box)
    os.kill(pids[0], signal.SIGSTOP)
    try:
        time.sleep(0.5)
        mails = [("ben@client.example", message(subject=f"Burst {n}")) for n in range(40)]
        send(box, mails)
        wait_for(lambda: spooled(box) and all(share_of(e, 2) == 0 for e in spooled(box)),
                 timeout=60)
        held = spooled(box)
        assert 5 < len(held) < 35     # worker 2/2 filed the rest, worker 1/2 holds its own
        time.sleep(1.0)
        assert spooled(box) == held
        assert len(box.json("items", "list")) == len(mails) - len(held)
    finally:
        os.kill(pids[0], signal.SIGCONT)
    wait_for(lambda: len(box.json("items", "list")) == 40, timeout=60)
    assert spooled(box) == []


def test_thread_ids_read_from_the_header_section_only() -> None:
    head = (b"Received: from x\r\nMessage-ID: <a@x>\r\nIn-Reply-To:\r\n <b@x>\r\n"
            b"References: <c@x>\r\n\t<b@x> <a@x>\r\nSubject: hi\r\n\r\n"
            b"References: <body@x>\r\n")
    assert thread_ids(head) == ("<a@x>", frozenset({"<b@x>", "<c@x>"}))
    assert thread_ids(b"Subject: none\n\nMessage-ID: <x@y>\n") == ("", frozenset())


def test_a_dead_intake_worker_is_started_again_and_none_outlives_the_center(two):
    box = two
    box.start("worker")
    first = intake_workers(box)
    os.kill(first[1], signal.SIGKILL)
    center = box.procs["worker"].pid

    def replaced() -> bool:
        """Judged on one look at /proc: two looks once counted the killed worker (a zombie
        still) in the first and missed it, just reaped, in the second, before any restart."""
        now = children(center)
        return len(now) == 2 and first[1] not in now
    wait_for(replaced, timeout=30)
    assert "exited with code -9; starting it again" in box.log("worker")
    mails = [(s, message(sender=s, subject=f"After the restart {s}")) for s in SENDERS]
    send(box, mails)
    wait_for(lambda: len(box.json("items", "list")) == len(SENDERS), timeout=60)
    # SIGKILL of the center alone (not its group): the kernel stops the intake workers
    now = children(center)
    os.kill(center, signal.SIGKILL)
    box.procs["worker"].wait(timeout=10)
    wait_for(lambda: not any(alive(p) for p in now), timeout=30)


def test_worker_processes_must_be_a_count_or_auto(box):
    box.set_ini("worker", "processes", "0")
    proc = box.start("worker")
    assert proc.wait(timeout=30) != 0
    assert "worker.processes must be 1 or more, or auto, not 0" in box.log("worker")


def nice(pid: int) -> int:
    """The nice value of process ``pid`` (field 19 of /proc/PID/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_worker_runs_below_the_mta(two):
    """``worker.nice`` (default 5): in a burst that keeps every core busy the MTA answers
    senders first; the center and its intake workers all run at nice 5, and so does the
    worker's session's autogroup (the kernel shares CPU between sessions before nice
    values count: without it the worker got as much CPU as the MTA in a burst)."""
    box = two   # its MTA runs already (starting another lost this one: it outlived the test)
    box.start("worker")
    workers = intake_workers(box)
    mta = box.procs["mta"].pid
    assert nice(mta) == 0
    assert nice(box.procs["worker"].pid) == 5
    assert [nice(p) for p in workers] == [5] * 2
    group = Path(f"/proc/{box.procs['worker'].pid}/autogroup")
    if group.exists():
        assert group.read_text().split()[-1] == "5", group.read_text()
        assert Path(f"/proc/{mta}/autogroup").read_text().split()[-1] == "0"


def test_a_worker_started_lower_already_stays_there(box):
    """A service manager's Nice= above worker.nice is kept, never raised back."""
    box.set_ini("worker", "nice", "3")
    log = box.root / "worker.nice.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(["nice", "-n", "12", box.command, "worker", "-c",
                                 str(box.ini)], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for(lambda: "worker started" in log.read_text() or proc.poll() is not None)
        assert proc.poll() is None, log.read_text()
        assert nice(proc.pid) == 12
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0


def test_worker_nice_out_of_range_is_refused(box):
    box.set_ini("worker", "nice", "25")
    proc = box.start("worker")
    assert proc.wait(timeout=30) != 0
    assert "worker.nice must be 0 to 19, not 25" in box.log("worker")


def test_the_stop_signal_handler_takes_no_lock_the_main_thread_may_hold(box):
    """The handler runs in the main thread between two of its steps: it once called
    ``wake.set()``, and a signal that came while the main thread was inside ``wake.set()``
    (its condition's lock held) waited for that lock forever: an intake worker outlived
    its SIGKILLed center by hours.  Here the lock is held as the handler runs."""
    from appliance import config
    from appliance.helpdesk.database import close_database, open_database
    from appliance.helpdesk.worker import Worker
    cfg = config.load(box.ini)
    open_database(cfg.database, create=False)
    try:
        worker = Worker(cfg)

        def interrupted_inside_set() -> None:
            with worker.wake._cond:
                worker._stop(signal.SIGTERM, None)
        thread = threading.Thread(target=interrupted_inside_set, daemon=True)
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the handler waited for a lock its thread holds"
        assert worker.stopping
    finally:
        close_database()
