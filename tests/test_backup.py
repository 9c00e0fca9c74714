"""``appliance backup`` while the MTA and the worker run under load, then ``appliance
restore`` onto a fresh directory: every item, message, attachment, setting and key is
there, and every message accepted before the backup began becomes exactly one item."""
from __future__ import annotations

import configparser
import json
import smtplib
import tarfile
import threading
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from conftest import DOMAIN, Box, appliance, sqlite_only, wait_for

pytestmark = sqlite_only   # SQLite's backup API; PostgreSQL is backed up with pg_dump

ATTACHMENT = bytes(range(256)) * 40


def with_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ann Lee <ann@client.example>"
    msg["To"] = f"tickets@{DOMAIN}"
    msg["Subject"] = "Scanner log attached"
    msg["Message-ID"] = "<scanner-log@client.example>"
    msg.set_content("The log is attached.")
    msg.add_attachment(ATTACHMENT, maintype="application", subtype="octet-stream",
                       filename="scanner.log")
    return msg.as_bytes(policy=SMTP)


def load_message(n: int) -> bytes:
    return (f"From: Ben Carter <ben{n % 7}@client.example>\r\nTo: tickets@{DOMAIN}\r\n"
            f"Subject: Load {n}\r\nMessage-ID: <load-{n}@client.example>\r\n"
            f"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nBody {n}\r\n").encode()


class Sender(threading.Thread):
    """Sends numbered messages as fast as the MTA takes them; records when each got 250."""

    def __init__(self, port: int, start: int, count: int) -> None:
        super().__init__(daemon=True)
        self.port, self.numbers = port, range(start, start + count)
        self.accepted: list[tuple[int, float]] = []
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
                for n in self.numbers:
                    smtp.sendmail(f"ben{n % 7}@client.example", [f"tickets@{DOMAIN}"],
                                  load_message(n))
                    self.accepted.append((n, time.monotonic()))
        except Exception as exc:  # reported by the test
            self.error = exc


def titles(box: Box) -> list[str]:
    return [i["title"] for i in box.json("items", "list")]


@pytest.mark.parametrize("form", ["tar", "dir"])
def test_backup_under_load_restores_everything(running_box, tmp_path, form):
    box = running_box
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ann@client.example", [f"tickets@{DOMAIN}"], with_attachment())
    wait_for(lambda: "Scanner log attached" in titles(box), timeout=15)
    box.cli("settings", "set", "relay.delay_seconds", "120")
    box.cli("blocklist", "add", "noreply@vendor.example")
    [first] = box.json("items", "list")
    box.cli("items", "reply", str(first["id"]), "--author", f"admin@{DOMAIN}",
            "--body", "Internal note kept", "--internal")

    senders = [Sender(box.smtp_port, 1000 * (k + 1), 60) for k in range(3)]
    for s in senders:
        s.start()
    wait_for(lambda: sum(len(s.accepted) for s in senders) >= 40, timeout=30)
    backup_started = time.monotonic()
    dest = tmp_path / ("backup.tar.gz" if form == "tar" else "backup-dir")
    out = box.cli("backup", str(dest), "--json")
    for s in senders:
        s.join(timeout=120)
        assert s.error is None, s.error
    before = {n for s in senders for n, at in s.accepted if at < backup_started}
    assert len(before) >= 40 and len(before) < 180, "the backup did not run during the load"
    manifest = json.loads(out.stdout)
    assert manifest["database"]["attachment"] >= 1
    if form == "tar":
        with tarfile.open(dest) as tar:
            assert any(n.endswith("manifest.json") for n in tar.getnames())
    wait_for(lambda: len(titles(box)) == 181, timeout=240)  # the live box got them all
    box.stop_all()

    target = tmp_path / "restored"
    appliance("restore", str(dest), "--data-dir", str(target))
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(target / "appliance.ini")
    assert ini["appliance"]["data_dir"] == str(target)
    assert ini["dns"]["table"] == str(target / "dns.json")
    assert (target / "dkim" / "appliance.private").read_bytes() == \
        (box.root / "dkim" / "appliance.private").read_bytes()
    assert (target / "dkim" / "appliance.private").stat().st_mode & 0o777 == 0o600
    assert (target / "tls" / "key.pem").read_bytes() == \
        (box.root / "tls" / "key.pem").read_bytes()

    restored = Box(target)
    restored.ini = target / "appliance.ini"
    assert restored.cli("settings", "get", "relay.delay_seconds").stdout.strip().endswith(b"120")
    assert "noreply@vendor.example" in restored.json("blocklist", "list")
    # what the backup's spool still holds is processed once more after the restore
    restored.start("worker")
    try:
        wait_for(lambda: not any((target / "spool" / "new").iterdir()), timeout=240)
        got = titles(restored)
    finally:
        restored.stop_all()
    loads = [t for t in got if t.startswith("Load ")]
    assert len(loads) == len(set(loads)), "an item was created twice"
    missing = sorted(n for n in before if f"Load {n}" not in loads)
    assert not missing, f"accepted before the backup but not restored: {missing[:10]}"

    scanner = next(i for i in restored.json("items", "list")
                   if i["title"] == "Scanner log attached")
    shown = restored.json("items", "show", str(scanner["id"]))
    assert any(m["body"] == "Internal note kept" and m["internal"] for m in shown["messages"])
    restored.db()
    from appliance.helpdesk.models import Attachment, User
    [att] = list(Attachment.select())
    assert att.filename == "scanner.log"
    assert (target / "attachments" / att.path).read_bytes() == ATTACHMENT
    assert User.select().count() == 1


def test_restore_refuses_a_non_empty_directory_and_a_damaged_backup(box, tmp_path):
    dest = tmp_path / "b"
    box.cli("backup", str(dest))
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "x").write_text("keep me")
    proc = appliance("restore", str(dest), "--data-dir", str(occupied), check=False)
    assert proc.returncode == 1 and b"not empty" in proc.stderr
    assert (occupied / "x").read_text() == "keep me"

    key = dest / "data" / "dkim" / "appliance.private"
    key.write_bytes(key.read_bytes()[:-10])
    proc = appliance("restore", str(dest), "--data-dir", str(tmp_path / "new"), check=False)
    assert proc.returncode == 1 and b"changed since the backup" in proc.stderr
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())
    assert b"Traceback" not in proc.stderr


def test_backup_refuses_an_existing_destination(box, tmp_path):
    dest = tmp_path / "b.tar.gz"
    dest.write_bytes(b"old")
    proc = box.cli("backup", str(dest), check=False)
    assert proc.returncode == 1 and b"exists" in proc.stderr
    assert dest.read_bytes() == b"old"
    Path(tmp_path / "empty").mkdir()
    box.cli("backup", str(tmp_path / "empty"))
    assert (tmp_path / "empty" / "manifest.json").is_file()
