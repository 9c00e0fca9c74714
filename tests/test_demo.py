"""The README's first command ends in ``appliance demo``: it makes the demo data directory,
prints the admin login and where SMTP and the panel are once every service answers, its
hints work as printed, a busy port is refused with the port and the option named, and
Ctrl-C stops it all."""
from __future__ import annotations

import os
import re
import shlex
import signal
import smtplib
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import APPLIANCE, appliance, free_port, read_until, wait_for


def start_demo(tmp_path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([APPLIANCE, "demo", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path)


def stop(proc: subprocess.Popen) -> bytes:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        return proc.communicate(timeout=90)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_demo_prints_how_to_reach_it_and_runs(tmp_path):
    data = tmp_path / "demo-data"
    # The demo's default ports may be taken on a shared machine; the first run writes the
    # ini with the defaults, so point a copy at free ports before starting.
    smtp_port, web_port = free_port(), free_port()
    appliance("init", "--data-dir", str(data), "--domain", "help.example.test",
              "--smtp-listen", f"127.0.0.1:{smtp_port}", "--web-listen",
              f"127.0.0.1:{web_port}")
    proc = start_demo(tmp_path, "--data-dir", str(data))
    out = b""
    try:
        out = read_until(proc, b"Stop with Ctrl-C", timeout=60)
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            smtp.sendmail("visitor@example.org", ["tickets@help.example.test"],
                          b"From: visitor@example.org\r\nSubject: Hello demo\r\n\r\nHi\r\n")
        ini = str(data / "appliance.ini")
        wait_for(lambda: b"Hello demo" in appliance("items", "list", "-c", ini).stdout,
                 timeout=20)
        page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=5).read()
        assert b"password" in page.lower()
    finally:
        out = (out + stop(proc)).decode()
    assert proc.returncode == 0
    assert f"SMTP:            127.0.0.1:{smtp_port}" in out
    assert f"Web:             http://127.0.0.1:{web_port}/" in out
    assert "tickets@help.example.test" in out and "Admin login:" in out


def test_demo_creates_its_directory_prints_the_password_and_its_hints_work(tmp_path):
    """The banner comes once every service answers, and every command it prints works as
    printed (absolute paths, the installed command, a test mail with nothing to install)."""
    proc = start_demo(tmp_path, "--data-dir", str(tmp_path / "fresh"), "--smtp-listen",
                      f"127.0.0.1:{free_port()}", "--web-listen", f"127.0.0.1:{free_port()}")
    text = ""
    try:
        text = read_until(proc, b"Stop with Ctrl-C", timeout=60).decode()
        web = re.search(r"Web:\s+(http://\S+)", text).group(1)
        assert b"ok" in urllib.request.urlopen(web + "healthz", timeout=5).read()
        hints = dict(re.findall(r"^(Send a test mail|See the items):\s+(.+?)(?:   \(.*)?$",
                                text, re.M))
        for command in hints.values():
            argv = shlex.split(command)
            assert argv[0] == APPLIANCE and os.path.isabs(argv[-1])
        sent = subprocess.run(shlex.split(hints["Send a test mail"]), capture_output=True,
                              cwd="/", timeout=60)
        assert sent.returncode == 0, sent.stderr
        assert b"the worker filed it: created, item #1" in sent.stdout
        listed = subprocess.run(shlex.split(hints["See the items"]), capture_output=True,
                                cwd="/", timeout=60)
        assert b"Test mail from appliance send-test" in listed.stdout
    finally:
        stop(proc)
    assert re.search(r"Admin login:\s+admin@help\.example\.test / \S{12,}", text), text
    assert re.search(r"Data directory:\s+/", text) and re.search(r"Configuration:\s+/", text)
    assert (tmp_path / "fresh" / "appliance.ini").exists()


@pytest.mark.parametrize("which", ["smtp", "web"])
def test_demo_refuses_a_busy_port_naming_it_and_the_option(tmp_path, which):
    ports = {"smtp": free_port(), "web": free_port()}
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", ports[which]))
        squatter.listen()
        started = time.monotonic()
        proc = start_demo(tmp_path, "--data-dir", str(tmp_path / "d"),
                          "--smtp-listen", f"127.0.0.1:{ports['smtp']}",
                          "--web-listen", f"127.0.0.1:{ports['web']}")
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode != 0
    assert time.monotonic() - started < 10
    assert f"port {ports[which]}" in out and "in use" in out and f"--{which}-listen" in out
    assert "Stop with Ctrl-C" not in out and "Traceback" not in out


def test_demo_on_its_default_port_2525_taken_exits_with_the_port_named(tmp_path):
    """The README's demo with the default SMTP port already used by something else."""
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            squatter.bind(("127.0.0.1", 2525))
            squatter.listen()
        except OSError:
            pass   # taken already by another program: the demo must say so all the same
        proc = start_demo(tmp_path, "--data-dir", str(tmp_path / "d"))
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode != 0
    assert "port 2525" in out and "--smtp-listen" in out, out
    assert not (tmp_path / "d").exists()   # nothing is created for a demo that cannot run
