"""Issue 11, point 8: a full disk is a fault of the machine, not of the mail.

The disk is really full: a small tmpfs mounted (we run as root) under the part of the box
being tested, filled to the last byte with a filler file, then the filler removed as an
admin freeing space would.  What is shown:

- intake that meets ENOSPC (an attachment, or SQLite's "database or disk is full") sets
  the entry aside in ``spool/waiting/``, the incoming log says it waits and is "retried
  automatically", and once space returns it goes through by itself: no ``failed/``, no
  ``appliance mail retry``;
- the MTA on a full data directory answers ``452 4.3.1`` (never 250, never 5xx), keeps
  running, and ``appliance ingest`` exits 75 (try again later).
"""
from __future__ import annotations

import base64
import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

from conftest import DOMAIN, Box, appliance, message, sqlite_only, wait_for

TICKETS = f"tickets@{DOMAIN}"


def mount_tmpfs(where: Path, size: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750", "tmpfs",
                           str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")


def umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(where: Path) -> Path:
    """Use up every free byte of the file system under ``where``."""
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 4096, 512, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    assert shutil.disk_usage(where).free < 4096
    return filler


def with_attachment(subject: str, size: int) -> bytes:
    data = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n").decode()
    return (f"From: Ben Carter <ben@client.example>\r\nTo: {TICKETS}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}@client.example>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            f"--b\r\nContent-Type: text/plain\r\n\r\nThe log is attached.\r\n"
            f"--b\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; filename=log.bin\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{data}--b--\r\n").encode()


def send(box, raw: bytes) -> str:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as client:
        client.ehlo("client.example")
        client.mail("ben@client.example")
        client.rcpt(TICKETS)
        code, text = client.data(raw)
    assert code == 250, text
    return text.decode().rsplit("queued as ", 1)[1].split()[0]


def where_is(box, spool_id: str) -> str | None:
    for where in ("new", "waiting", "failed", "done"):
        if (box.root / "spool" / where / spool_id).exists():
            return where
    return None


def incoming(box, spool_id: str, database: Path | None = None) -> dict | None:
    """The entry's incoming-log row, read straight from the box's database (or from the
    SQLite file ``database``)."""
    import json
    import sqlite3
    sql = "SELECT action, item_id, reasons FROM incomingmail WHERE spool_id = ?"
    if database is None:
        rows = box.query(sql, spool_id)
    else:
        con = sqlite3.connect(database, timeout=10)
        try:
            rows = con.execute(sql, (spool_id,)).fetchall()
        finally:
            con.close()
    if not rows:
        return None
    return {"action": rows[0][0], "item_id": rows[0][1], "reasons": json.loads(rows[0][2] or "[]")}


def test_an_attachment_on_a_full_disk_waits_and_goes_through_by_itself(box):
    attachments = box.root / "attachments"
    mount_tmpfs(attachments, "2m")
    try:
        box.set_ini("worker", "retry_seconds", "1")
        box.start("mta")
        box.start("worker")
        filler = fill(attachments)
        spool_id = send(box, with_attachment("log attached", 300_000))

        wait_for(lambda: incoming(box, spool_id), timeout=15)
        assert wait_for(lambda: where_is(box, spool_id) == "waiting", timeout=10)
        # The incoming log as operators read it: INTERFACE.md's action word, and why.
        row = next(r for r in box.json("mail", "incoming") if r["spool_id"] == spool_id)
        assert row["action"] == "failed", row
        assert "retried automatically" in row["reasons"][0], row["reasons"]
        assert "the disk is full" in row["reasons"][0], row["reasons"]
        # Tried again by itself (1 s, then 2 s), still waiting while the disk stays full.
        wait_for(lambda: box.log("worker").count(f"intake of spool={spool_id} met a "
                                                 "fault of the machine") >= 2, timeout=15)
        assert where_is(box, spool_id) in ("waiting", "new")
        assert not list(attachments.rglob(".*.*"))   # no half-written copy kept

        filler.unlink()   # the admin frees space; nobody runs `appliance mail retry`
        row = wait_for(lambda: (r := incoming(box, spool_id)) and r["action"] == "created"
                       and r, timeout=20)
        assert where_is(box, spool_id) == "done"
        item = box.json("items", "show", str(row["item_id"]))
        assert item["messages"][0]["attachments"][0]["size"] == 300_000
        assert box.procs["worker"].poll() is None and box.procs["mta"].poll() is None
    finally:
        box.stop_all()
        umount(attachments)


@sqlite_only   # the database file on its own small disk
def test_a_database_on_a_full_disk_waits_and_goes_through_by_itself(box):
    disk = box.root / "dbdisk"
    mount_tmpfs(disk, "4m")
    try:
        for suffix in ("", "-wal", "-shm"):
            old = box.root / f"appliance.db{suffix}"
            if old.exists():
                shutil.move(old, disk / old.name)
        box.set_ini("appliance", "database", str(disk / "appliance.db"))
        box.set_ini("worker", "retry_seconds", "1")
        box.start("mta")
        box.start("worker")
        database = disk / "appliance.db"
        first = send(box, message(subject="warm up"))
        wait_for(lambda: (r := incoming(box, first, database)) and r["action"] == "created",
                 timeout=15)
        filler = fill(disk)
        report = ("x" * 76 + "\r\n") * 4000   # 312 kB: its item and message need room
        spool_id = send(box, message(subject="a long report", body=report))
        wait_for(lambda: f"intake of spool={spool_id} met a fault of the machine"
                 in box.log("worker"), timeout=15)
        log = box.log("worker")
        assert "database or disk is full" in log and "retried automatically" in log
        assert where_is(box, spool_id) in ("waiting", "new")
        assert where_is(box, spool_id) != "failed"

        filler.unlink()
        row = wait_for(lambda: (r := incoming(box, spool_id, database))
                       and r["action"] == "created" and r, timeout=20)
        assert row["item_id"] and where_is(box, spool_id) == "done"
        assert box.procs["worker"].poll() is None
    finally:
        box.stop_all()
        umount(disk)


def test_a_full_data_disk_answers_452_and_the_mta_keeps_serving(tmp_path):
    """The whole data directory on a full disk: every SMTP transaction gets 452 4.3.1
    (a small message, and a large one that fills the disk halfway through DATA), the MTA
    processes all live on, ingest says 75; with space back, the same mail is a ticket."""
    root = tmp_path / "box"
    mount_tmpfs(root, "8m")
    box = Box(root)
    try:
        box.init()
        box.set_ini("worker", "retry_seconds", "1")
        box.start("mta")
        box.start("worker")
        wait_for(lambda: "worker started" in box.log("worker"), timeout=30)
        filler = fill(root)
        # More sessions than MTA processes, each from its own loopback address: a new
        # peer is a new slot in the MTA's shared connection table (which once was a
        # sparse file, so a full disk killed the process touching it with SIGBUS).
        for n in range(6):
            for m, raw in enumerate((message(subject=f"small {n}"), message(
                    subject=f"large {n}", body=("y" * 76 + "\r\n") * 30_000))):
                with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30,
                                  source_address=(f"127.0.{m + 1}.{n + 10}", 0)) as client:
                    client.ehlo("client.example")
                    client.mail("ben@client.example")
                    client.rcpt(TICKETS)
                    code, text = client.data(raw)
                assert code == 452 and text.decode().startswith("4.3.1"), (code, text)
        assert box.procs["mta"].poll() is None
        assert "Traceback" not in box.log("mta")
        assert not [n for n in os.listdir(root / "spool" / "new")]
        ingest = appliance("ingest", "-c", str(box.ini), "--rcpt", TICKETS,
                           "--mail-from", "ben@client.example",
                           input=message(subject="piped"), check=False)
        assert ingest.returncode == 75, ingest.stderr

        filler.unlink()
        spool_id = send(box, message(subject="after the disk was freed"))
        wait_for(lambda: (r := incoming(box, spool_id)) and r["action"] == "created",
                 timeout=20)
    finally:
        box.stop_all()
        for log in root.glob("*.test.log"):   # kept for a look after the tmpfs is gone
            shutil.copy(log, tmp_path / log.name)
        umount(root)


@sqlite_only
def test_a_worker_started_on_a_full_disk_waits_for_space(tmp_path):
    """SQLite cannot make its -wal and -shm on a full disk, so the worker could not open
    the database and exited (supervisord and systemd give up after a few restarts): it
    waits for space instead, and then takes the mail that came meanwhile."""
    root = tmp_path / "box"
    mount_tmpfs(root, "8m")
    box = Box(root)
    worker = None
    try:
        box.init()
        box.set_ini("worker", "retry_seconds", "1")
        box.start("mta")
        filler = fill(root)
        log = open(tmp_path / "worker.log", "wb")   # off the full disk
        worker = subprocess.Popen([box.command, "worker", "-c", str(box.ini)], stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: "waiting for space" in (tmp_path / "worker.log").read_text(),
                 timeout=30)
        time.sleep(2)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        filler.unlink()
        spool_id = send(box, message(subject="sent once space was back"))
        wait_for(lambda: (r := incoming(box, spool_id)) and r["action"] == "created",
                 timeout=30)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        box.stop_all()
        umount(root)
