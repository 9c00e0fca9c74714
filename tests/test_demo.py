"""The README's first command ends in ``appliance demo``: it makes the demo data directory,
prints the admin login and where SMTP and the panel are, starts everything, and a message
sent to the printed capture address becomes a ticket; Ctrl-C stops it all."""
from __future__ import annotations

import os
import re
import signal
import smtplib
import subprocess
import sys
import time
import urllib.request

from conftest import wait_for, wait_port


def test_demo_prints_how_to_reach_it_and_runs(tmp_path):
    data = tmp_path / "demo-data"
    # The demo's default ports may be taken on a shared machine; the first run writes the
    # ini with the defaults, so point a copy at free ports before starting.
    from conftest import appliance, free_port
    smtp_port, web_port = free_port(), free_port()
    appliance("init", "--data-dir", str(data), "--domain", "help.example.test",
              "--smtp-listen", f"127.0.0.1:{smtp_port}", "--web-listen",
              f"127.0.0.1:{web_port}")
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "demo", "--data-dir",
                             str(data)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=tmp_path)
    try:
        wait_port(smtp_port, timeout=30, proc=proc)
        wait_port(web_port, timeout=30, proc=proc)
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            smtp.sendmail("visitor@example.org", ["tickets@help.example.test"],
                          b"From: visitor@example.org\r\nSubject: Hello demo\r\n\r\nHi\r\n")
        ini = str(data / "appliance.ini")
        wait_for(lambda: b"Hello demo" in appliance("items", "list", "-c", ini).stdout,
                 timeout=20)
        page = urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=5).read()
        assert b"password" in page.lower()
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=60)[0].decode()
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert f"SMTP:            127.0.0.1:{smtp_port}" in out
    assert f"Web:             http://127.0.0.1:{web_port}/" in out
    assert "tickets@help.example.test" in out and "Admin login:" in out


def test_demo_creates_its_directory_and_prints_the_admin_password(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "demo", "--data-dir",
                             str(tmp_path / "fresh")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        text = b""
        while b"Stop with Ctrl-C" not in text and time.monotonic() < deadline:
            text += proc.stdout.readline()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert re.search(rb"Admin login:\s+admin@help\.example\.test / \S{12,}", text), text
    assert (tmp_path / "fresh" / "appliance.ini").exists()
