"""``appliance run``: every service under supervisord, restarted on a crash, all stopped
cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import pwd
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import DOMAIN, PG_URL, message, read_until, wait_for


def pids_of(service: str, ini) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"appliance {service} -c {ini}"],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_starts_all_restarts_a_crashed_one_and_stops_cleanly(box, stop_signal):
    proc = start_run(box)
    try:
        out = read_until(proc, b"every service is up", timeout=60)
        # The "up" line comes only once every service answers: no waiting here.
        with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=5) as smtp:
            assert smtp.noop()[0] == 250
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
        out += proc.communicate(timeout=90)[0]
        assert proc.returncode == 0
        assert_all_stopped(box)
    finally:
        kill(proc)
    # A normal start logs no supervisord CRIT line (control socket without a password,
    # running as root without a user), neither in our output nor in supervisord's log.
    assert b"CRIT" not in out, out.decode(errors="replace")
    assert "CRIT" not in (box.root / "run" / "supervisord.log").read_text()


def start_run(box, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([box.command, "run", "-c", str(box.ini), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def assert_all_stopped(box) -> None:
    for service in ("mta", "worker", "web"):
        assert pids_of(service, box.ini) == [], f"{service} still running"
    assert subprocess.run(["pgrep", "-f", f"supervisord.*{box.root}"],
                          capture_output=True).stdout == b""


def test_run_refuses_a_busy_port_before_starting_anything(box):
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", box.web_port))
        squatter.listen()
        started = time.monotonic()
        proc = start_run(box)
        try:
            out = proc.communicate(timeout=30)[0].decode()
        finally:
            kill(proc)
    assert proc.returncode != 0
    assert time.monotonic() - started < 10
    assert f"port {box.web_port}" in out and "in use" in out and "[web] listen" in out, out
    assert "every service is up" not in out and "Traceback" not in out
    assert_all_stopped(box)


def broken_database(box) -> None:
    """The worker and the panel cannot open their database: they exit at every start."""
    box.set_ini("appliance", "database", str(box.root / "no-such-dir" / "appliance.db"))


def test_a_service_that_cannot_start_stops_everything_with_its_error(box):
    broken_database(box)
    started = time.monotonic()
    proc = start_run(box)
    try:
        out = proc.communicate(timeout=90)[0].decode()
    finally:
        kill(proc)
    assert proc.returncode == 1, out
    assert time.monotonic() - started < 60
    assert "could not start and gave up after its retries" in out, out
    assert "every service is up" not in out
    assert_all_stopped(box)   # the MTA, which could start, is stopped too


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_a_service_crash_loops_stops_every_service(box, stop_signal):
    broken_database(box)
    proc = start_run(box)
    try:
        # The MTA runs while the worker and the panel loop (3 tries take about 6 s).
        wait_for(lambda: pids_of("mta", box.ini) and pids_of("worker", box.ini), timeout=10)
        assert proc.poll() is None
        proc.send_signal(stop_signal)
        proc.communicate(timeout=90)
    finally:
        kill(proc)
    assert proc.returncode in (0, 1)
    assert_all_stopped(box)
    with socket.socket() as again:   # nothing holds the port any more
        again.bind(("127.0.0.1", box.smtp_port))


SYSTEM_PYTHON = "/usr/bin/python3"   # Debian's: readable by every user, unlike one in /root


def can_install_for_nobody() -> bool:
    return os.getuid() == 0 and subprocess.run(
        ["runuser", "-u", "nobody", "--", SYSTEM_PYTHON, "-c", "import ensurepip, venv"],
        capture_output=True).returncode == 0


def test_as_root_the_services_user_is_the_data_directorys_owner(tmp_path):
    """What `appliance run` hands supervisord as its ``user`` (tried for real below where
    the interpreter is reachable by another user)."""
    from appliance.supervise import _service_user
    if os.getuid() == 0:
        os.chown(tmp_path, 65534, 65534)
        assert _service_user(tmp_path) == 65534
    else:
        assert _service_user(tmp_path) == os.getuid()


@pytest.mark.skipif(not can_install_for_nobody(),
                    reason="needs root and Debian's python3 with venv (scripts/test.sh "
                           "installs python3-venv)")
def test_started_as_root_the_services_run_as_the_data_directorys_owner(tmp_path):
    """As docs/install.md sets it up: the program where the service user can read it (a
    venv of Debian's Python under a world-readable directory), data owned by that user."""
    from conftest import ROOT, Box
    nobody = pwd.getpwnam("nobody")
    top = Path(tempfile.mkdtemp(prefix="appliance-owner-", dir="/tmp"))
    try:
        top.chmod(0o755)
        [wheel] = (ROOT / "dist").glob("appliance-*.whl")   # what scripts/test.sh installed
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(top / "opt")], check=True)
        extra = "[postgres]" if PG_URL else ""   # the PostgreSQL pass of scripts/test.sh
        subprocess.run([str(top / "opt" / "bin" / "pip"), "install", "-q", f"{wheel}{extra}"],
                       check=True, capture_output=True, timeout=600)
        box = Box(top / "data")
        box.command = str(top / "opt" / "bin" / "appliance")
        box.init()
        subprocess.run(["chown", "-R", f"{nobody.pw_uid}:{nobody.pw_gid}", str(box.root)],
                       check=True)
        proc = start_run(box)
        try:
            out = read_until(proc, b"every service is up", timeout=60)
            for service in ("mta", "worker", "web"):
                for pid in pids_of(service, box.ini):
                    assert Path(f"/proc/{pid}").stat().st_uid == nobody.pw_uid, service
            proc.send_signal(signal.SIGTERM)
            out += proc.communicate(timeout=90)[0]
        finally:
            kill(proc)
        assert proc.returncode == 0 and b"CRIT" not in out
    finally:
        subprocess.run(["rm", "-rf", str(top)])
