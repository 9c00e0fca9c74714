"""``appliance ingest``: pipe delivery with the exit codes Postfix's pipe understands."""
from __future__ import annotations

from conftest import DOMAIN, message, wait_for


def test_piped_message_becomes_a_ticket(box):
    raw = message(message_id="<piped@client.example>").replace(b"\r\n", b"\n")
    proc = box.cli("ingest", "--rcpt", f"tickets@{DOMAIN}", "--mail-from",
                   "ben@client.example", input=raw)
    assert proc.returncode == 0 and b"queued as" in proc.stderr
    [name] = list((box.root / "spool" / "new").iterdir())
    stored = name.read_bytes().split(b"\n", 1)[1]
    assert b"\r\n" in stored and b"\n" not in stored.replace(b"\r\n", b"")
    box.start("worker")
    [item] = wait_for(lambda: box.json("items", "list"))
    assert item["requester"]["email"] == "ben@client.example"
    [row] = box.json("mail", "incoming")
    assert row["message_id"] == "<piped@client.example>"


def test_exit_codes(box, tmp_path):
    assert box.cli("ingest", "--rcpt", f"nobody@{DOMAIN}", input=message(),
                   check=False).returncode == 67
    assert box.cli("ingest", "--rcpt", "tickets@other.example", input=message(),
                   check=False).returncode == 67
    assert box.cli("ingest", "--rcpt", f"tickets@{DOMAIN}", input=b"",
                   check=False).returncode == 65
    from conftest import appliance
    missing = appliance("ingest", "-c", str(tmp_path / "none.ini"), "--rcpt",
                        f"tickets@{DOMAIN}", input=message(), check=False)
    assert missing.returncode == 75 and b"Traceback" not in missing.stderr
    box.set_ini("smtp", "max_message_bytes", "100")
    assert box.cli("ingest", "--rcpt", f"tickets@{DOMAIN}", input=message(),
                   check=False).returncode == 65
    assert not list((box.root / "spool" / "new").iterdir())
