"""The MTA's forked processes die with their parent (issue 11, point 8): SIGKILL of the
parent of a two-process ``appliance mta`` leaves no child holding the port, so a new MTA
(what supervisord starts next) binds it within seconds and serves."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time

from conftest import DOMAIN, message, wait_for, wait_port


def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
        return [int(p) for p in fh.read().split()]


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for whoever adopted it."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_sigkill_of_the_parent_frees_the_port_for_a_new_mta(box):
    box.set_ini("smtp", "processes", "2")
    parent = box.start("mta")
    children = wait_for(lambda: children_of(parent.pid), timeout=10)
    assert len(children) == 1
    os.kill(parent.pid, signal.SIGKILL)   # the parent only, as the OOM killer would
    parent.wait(timeout=10)
    try:
        wait_for(lambda: all(gone(pid) for pid in children), timeout=15)
    finally:
        for pid in children:   # clean up after a failure: never leave an orphan behind
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
    log = open(box.root / "mta.again.log", "ab")
    again = subprocess.Popen([sys.executable, "-m", "appliance", "mta", "-c", str(box.ini)],
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    box.procs["mta"] = again
    started = time.monotonic()
    wait_port(box.smtp_port, timeout=10, proc=again)
    time.sleep(0.5)
    assert again.poll() is None, (box.root / "mta.again.log").read_text()
    assert time.monotonic() - started < 5
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as client:
        code, text = client.ehlo("client.example")
        assert code == 250
        assert client.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message()) == {}
    assert len(children_of(again.pid)) == 1
