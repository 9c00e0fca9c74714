"""``appliance run``: every service under supervisord, restarted on a crash, all stopped
cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import urllib.request

import pytest

from conftest import DOMAIN, message, wait_for, wait_port


def pids_of(service: str, ini) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"appliance {service} -c {ini}"],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_starts_all_restarts_a_crashed_one_and_stops_cleanly(box, stop_signal):
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "-c", str(box.ini)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_port(box.smtp_port, timeout=20, proc=proc)
        wait_port(box.web_port, timeout=20, proc=proc)
        health = json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{box.web_port}/healthz", timeout=5).read())
        assert health["database"] == "ok"
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message())
        wait_for(lambda: box.json("items", "list"), timeout=10)

        [worker] = wait_for(lambda: pids_of("worker", box.ini), timeout=10)
        os.kill(worker, signal.SIGKILL)
        restarted = wait_for(lambda: [p for p in pids_of("worker", box.ini) if p != worker],
                             timeout=15)
        assert restarted
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message())
        wait_for(lambda: len(box.json("items", "list")) == 2, timeout=10)

        proc.send_signal(stop_signal)
        assert proc.wait(timeout=60) == 0
        for service in ("mta", "worker", "web"):
            assert pids_of(service, box.ini) == [], f"{service} still running"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
