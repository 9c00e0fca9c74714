"""Issue 11, point 8: the database file deleted or replaced under the running box.

The worker commits into the file it opened; once that file is deleted (or another one is
renamed over its name) every commit goes where nobody will read it, and the spool file
moved to ``done/`` afterwards was a mail lost after its 250.  The worker checks the file's
identity (device, inode) before every batch and after every commit, before the spool file
moves, and stops with the reason; ``/healthz`` answers 503 with it; no service makes a new
empty database where the box's file is missing.  Real services over SMTP and HTTP, real
SQLite files.
"""
from __future__ import annotations

import json
import os
import smtplib
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import DOMAIN, appliance, message, sqlite_only, wait_for

pytestmark = sqlite_only   # the file and its inode are SQLite's

TICKETS = f"tickets@{DOMAIN}"


def send(box, subject: str) -> str:
    """One mail over SMTP; returns its spool id (from the 250 reply)."""
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=15) as client:
        client.ehlo("client.example")
        client.mail("ben@client.example")
        code, _ = client.rcpt(TICKETS)
        assert code == 250
        code, text = client.data(message(subject=subject))
    assert code == 250, text
    return text.decode().rsplit("queued as ", 1)[1].split()[0]


def spooled(box, where: str) -> set[str]:
    return {n for n in os.listdir(box.root / "spool" / where) if not n.startswith(".")}


def healthz(box) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{box.web_port}/healthz",
                                    timeout=15) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def snapshot(box, dest) -> None:
    """A consistent copy of the box's database, as a backup holds it."""
    source, target = sqlite3.connect(box.root / "appliance.db"), sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def created(box, spool_id: str) -> bool:
    rows = box.query("SELECT action FROM incomingmail WHERE spool_id = ?", spool_id)
    return bool(rows) and rows[0][0] == "created"


@pytest.mark.parametrize("fault", ["deleted", "replaced"])
def test_worker_stops_and_keeps_the_mail_when_its_database_file_goes(box, fault):
    box.start("mta")
    worker = box.start("worker")
    box.start("web")
    first = send(box, "before the fault")
    wait_for(lambda: created(box, first), timeout=15)
    saved = box.root / "saved.db"
    snapshot(box, saved)
    db = box.root / "appliance.db"
    if fault == "deleted":
        db.unlink()
    else:   # a copy renamed over the name: another inode at the same path
        os.replace(saved, db)

    # The worker notices before it processes anything more, and says why.
    assert wait_for(lambda: worker.poll() is not None, timeout=15)
    assert worker.returncode != 0
    log = box.log("worker")
    assert f"the database file {db} was {fault} while the worker ran; stopping so no " \
           "mail is lost" in log, log[-2000:]
    assert "Traceback" not in log.split("was " + fault)[-1]

    # Mail keeps getting its 250 (the MTA has no database) and stays queued.
    ids = [send(box, f"during the fault {n}") for n in range(7)]
    assert set(ids) <= spooled(box, "new")
    assert not set(ids) & (spooled(box, "done") | spooled(box, "failed"))

    code, status = healthz(box)
    assert code == 503, status
    assert status["status"] == "fail" and "database" in status["failing"]
    assert f"the database file {db} was {fault}" in status["database"]
    assert f"was {fault}" in status["reason"]

    box.stop("web")   # its last connection checkpoints into the old file and lets go
    if fault == "deleted":
        # Restarted on the missing file, the worker refuses: no new, empty database.
        restarted = box.start("worker")
        assert restarted.wait(timeout=30) != 0
        assert "is missing" in box.log("worker").rsplit("worker started", 1)[-1]
        assert not db.exists()
        for suffix in ("-wal", "-shm"):   # the deleted file's journal, if any is left
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        os.replace(saved, db)   # the admin restores the file
    box.start("worker")
    for spool_id in ids:
        wait_for(lambda: created(box, spool_id), timeout=30)
    assert set(ids) <= spooled(box, "done")
    titles = {r[0] for r in box.query("SELECT title FROM item")}
    assert {f"during the fault {n}" for n in range(7)} <= titles
    box.start("web")
    assert wait_for(lambda: healthz(box)[0] == 200, timeout=15)


def test_no_service_or_command_makes_an_empty_database_in_place_of_a_missing_one(box):
    db = box.root / "appliance.db"
    db.unlink()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    for service in ("worker", "web"):
        proc = subprocess.run([box.command, service, "-c", str(box.ini)], timeout=60,
                              capture_output=True)
        out = (proc.stdout + proc.stderr).decode()
        assert proc.returncode != 0, out
        assert f"the database file {db} is missing" in out and "Traceback" not in out, out
        assert not db.exists()
    listed = appliance("items", "list", "-c", str(box.ini), check=False)
    assert listed.returncode != 0 and b"is missing" in listed.stderr
    assert not db.exists()
    doctor = appliance("doctor", "-c", str(box.ini), check=False)
    assert doctor.returncode != 0 and b"is missing" in doctor.stdout + doctor.stderr
    assert not db.exists()
    # A new box is still made by init.
    appliance("init", "--data-dir", str(box.root), "--domain", DOMAIN, "--force",
              "--admin-password", "admin-pw-123")
    assert db.exists()
    assert box.query("SELECT count(*) FROM user") == [(1,)]


def test_a_commit_into_a_file_deleted_meanwhile_leaves_the_entry_in_new(box):
    """The check after the commit: the file goes while an entry is being processed (here
    inside its authentication step, before the transaction), so its commit lands in the
    deleted file; the spool file must stay in new/ for the restored database."""
    from appliance import config
    from appliance.helpdesk.database import open_database
    from appliance.helpdesk.worker import DatabaseGone, Worker
    box.start("mta")
    spool_id = send(box, "processed while the file goes")
    db = box.root / "appliance.db"
    saved = box.root / "saved.db"
    snapshot(box, saved)
    cfg = config.load(box.ini)
    open_database(cfg.database, create=False)
    worker = Worker(cfg)
    real_check = worker.authenticate

    def check_then_lose_the_file(entry):
        db.unlink()
        return real_check(entry)
    worker.authenticate = check_then_lose_the_file
    with pytest.raises(DatabaseGone, match="was deleted while the worker ran"):
        worker.run_once()
    assert spool_id in spooled(box, "new") and spool_id not in spooled(box, "done")
    # Restored and restarted: the entry is processed into the file the box reads.
    from appliance.helpdesk.database import close_database
    close_database()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    os.replace(saved, db)
    box.start("worker")
    wait_for(lambda: created(box, spool_id), timeout=30)
    assert spool_id in spooled(box, "done")
