"""Mail in over SMTP, items out: creation, threading, the hijack refusal, dedupe,
attachments, latency, failed entries and their retry."""
from __future__ import annotations

import smtplib
import time

import pytest
from conftest import DOMAIN, message, sqlite_only, wait_for


def send(box, raw: bytes, rcpts=(f"tickets@{DOMAIN}",), sender="ben@client.example") -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, list(rcpts), raw)


def items(box):
    return box.json("items", "list")


def incoming(box):
    return box.json("mail", "incoming")


def wait_incoming(box, count: int):
    return wait_for(lambda: (lambda rows: rows if len(rows) >= count else None)(incoming(box)),
                    timeout=15)


# client.example lets the loopback address send for it: its mail is authenticated (SPF).
SPF_PASS = {"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}}


@pytest.fixture
def verified_box(box):
    """A running box to which client.example's mail comes authenticated."""
    box.set_dns(SPF_PASS)
    box.start("mta")
    box.start("worker")
    return box


def test_mail_to_tickets_becomes_a_ticket_with_requester_and_followers(verified_box):
    box = verified_box
    raw = message(subject="=?utf-8?q?Drucker_f=C3=A4llt_aus?=", body="It is broken.",
                  extra="Cc: Carol <carol@client.example>, tasks@box.example\r\n")
    send(box, raw)
    [item] = wait_for(lambda: items(box))
    assert item["type"] == "ticket"
    assert item["title"] == "Drucker fällt aus"
    assert item["requester"] == {"email": "ben@client.example", "name": "Ben Carter"}
    assert [f["email"] for f in item["followers"]] == ["ben@client.example",
                                                       "carol@client.example"]
    shown = box.json("items", "show", str(item["id"]))
    assert shown["messages"][0]["body"] == "It is broken."
    assert shown["messages"][0]["internal"] is False
    [log] = incoming(box)
    assert log["action"] == "created" and log["item_id"] == item["id"]
    assert log["rcpt_tos"] == [f"tickets@{DOMAIN}"]
    assert log["from"]["email"] == "ben@client.example"
    assert any("created" in r for r in log["reasons"])


def test_mail_to_tasks_becomes_a_task(running_box):
    send(running_box, message(to=f"tasks@{DOMAIN}"), rcpts=[f"tasks@{DOMAIN}"])
    [item] = wait_for(lambda: items(running_box))
    assert item["type"] == "task"


def test_reply_threads_by_in_reply_to_and_references(verified_box):
    """A follower's authenticated reply naming a message of the conversation appends; the
    same from someone who does not follow the item makes a new item linked to it."""
    box = verified_box
    send(box, message(message_id="<first@client.example>"))
    wait_for(lambda: items(box))
    send(box, message(subject="Re: something else", message_id="<second@client.example>",
                      extra="In-Reply-To: <first@client.example>\r\n"))
    send(box, message(subject="no tag at all", message_id="<third@client.example>",
                      sender="carol@client.example",
                      extra="References: <x@y> <second@client.example>\r\n"))
    rows = wait_incoming(box, 3)
    assert [r["action"] for r in rows] == ["created", "appended", "created"]
    assert any("carol@client.example does not follow item #1" in r
               for r in rows[0]["reasons"])
    assert any("it may belong to #1" in r for r in rows[0]["reasons"])
    assert {i["id"]: i["may_belong_to"] for i in items(box)} == {1: None, 2: 1}
    mail = [m for m in box.json("items", "show", "1")["messages"] if not m["automation"]]
    assert len(mail) == 2


def test_subject_tag_appends_only_for_a_follower(verified_box):
    box = verified_box
    send(box, message(subject="Printer", message_id="<a1@client.example>"))
    wait_for(lambda: items(box))
    # The requester follows item 1: the tag threads.
    send(box, message(subject="Re: [#1] Printer", message_id="<a2@client.example>"))
    # A stranger guessing the number gets a new item, not a seat in the conversation.
    send(box, message(subject="Re: [#1] Printer", message_id="<a3@evil.example>",
                      sender="mallory@evil.example"), sender="mallory@evil.example")
    # A tag naming no item makes a new item too.
    send(box, message(subject="[#99] hello", message_id="<a4@client.example>"))
    rows = wait_incoming(box, 4)
    by_mid = {r["message_id"]: r for r in rows}
    assert by_mid["<a2@client.example>"]["action"] == "appended"
    assert by_mid["<a2@client.example>"]["item_id"] == 1
    hijack = by_mid["<a3@evil.example>"]
    assert hijack["action"] == "created" and hijack["item_id"] != 1
    assert any("does not follow item #1" in r for r in hijack["reasons"])
    assert box.json("items", "show", str(hijack["item_id"]))["may_belong_to"] == 1
    assert by_mid["<a4@client.example>"]["action"] == "created"
    first = box.json("items", "show", "1")
    assert [m["message_id"] for m in first["messages"] if not m["automation"]] == [
        "<a1@client.example>", "<a2@client.example>"]
    assert "mallory@evil.example" not in [f["email"] for f in first["followers"]]


def test_one_message_id_makes_one_item_even_to_both_addresses_and_twice(running_box):
    box = running_box
    raw = message(message_id="<dup@client.example>")
    send(box, raw, rcpts=[f"tickets@{DOMAIN}", f"tasks@{DOMAIN}"])
    send(box, raw, rcpts=[f"tasks@{DOMAIN}"])
    send(box, raw)
    rows = wait_incoming(box, 3)
    assert sorted(r["action"] for r in rows) == ["created", "ignored", "ignored"]
    assert len(items(box)) == 1
    dup = [r for r in rows if r["action"] == "ignored"][0]
    assert any("Duplicate" in r for r in dup["reasons"])


def test_attachments_and_html_only_body_are_kept(running_box, tmp_path):
    box = running_box
    raw = (b"From: Dana <dana@client.example>\r\nTo: tickets@box.example\r\n"
           b"Subject: Screenshot\r\nMessage-ID: <att@client.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>See the <b>error</b>:</p><script>alert(1)</script><ul><li>one</li></ul>\r\n"
           b"--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
           b"Content-Disposition: attachment; filename=\"err.png\"\r\n\r\n"
           b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
           b"60e6kgAAAABJRU5ErkJggg==\r\n"
           b"--XX--\r\n")
    send(box, raw)
    [item] = wait_for(lambda: items(box))
    shown = box.json("items", "show", str(item["id"]))
    body = shown["messages"][0]["body"]
    assert "See the error:" in body and "- one" in body and "alert" not in body
    [att] = shown["messages"][0]["attachments"]
    assert att["filename"] == "err.png" and att["content_type"] == "image/png"
    stored = list((box.root / "attachments").rglob("*"))
    assert any(p.is_file() and p.read_bytes().startswith(b"\x89PNG") for p in stored)


def test_ticket_exists_within_a_second_of_the_250(running_box):
    box = running_box
    send(box, message(message_id="<warmup@client.example>"))
    wait_for(lambda: items(box))
    db = box.db()
    from appliance.helpdesk.models import Item
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                      message(message_id="<fast@client.example>"))
        accepted = time.monotonic()
    wait_for(lambda: Item.select().count() == 2, timeout=5, interval=0.01)
    assert time.monotonic() - accepted < 1.0
    db.close()


def test_failed_entry_is_kept_logged_and_retried(box):
    """A spool entry the worker cannot read is set aside, shown as failed, and a retry
    processes it once it is readable."""
    from appliance.mta.spool import Envelope, Spool
    spool = Spool(box.root / "spool").ensure()
    entry = spool.write(Envelope("ben@client.example", [f"tickets@{DOMAIN}"]),
                        message(message_id="<broken@client.example>"))
    path = box.root / "spool" / "new" / entry
    good = path.read_bytes()
    path.write_bytes(b"{not json\n" + good.split(b"\n", 1)[1])
    box.start("worker")
    [row] = wait_for(lambda: incoming(box))
    assert row["action"] == "failed" and "unreadable" in row["error"]
    assert (box.root / "spool" / "failed" / entry).exists()
    (box.root / "spool" / "failed" / entry).write_bytes(good)
    out = box.cli("mail", "retry").stdout.decode()
    assert "1 entry queued again" in out
    wait_for(lambda: incoming(box)[0]["action"] == "created")
    assert len(items(box)) == 1


def test_unknown_item_type_recipient_in_spool_is_ignored_with_reason(box):
    """Mail spooled for a capture address whose item type was disabled since."""
    from appliance.mta.spool import Envelope, Spool
    Spool(box.root / "spool").ensure().write(Envelope("ben@client.example",
                                                      [f"gone@{DOMAIN}"]), message())
    box.start("worker")
    [row] = wait_for(lambda: incoming(box))
    assert row["action"] == "ignored"
    assert any("No enabled item type" in r for r in row["reasons"])


def test_incoming_log_records_tls_and_envelope(running_box):
    import ssl
    box = running_box
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", box.smtp_port, local_hostname="mx.client.example") as smtp:
        smtp.starttls(context=context)
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                      message(message_id="<tls1@client.example>"))
    send(box, message(message_id="<plain1@client.example>"))
    rows = {r["message_id"]: r for r in wait_incoming(box, 2)}
    secure, plain = rows["<tls1@client.example>"], rows["<plain1@client.example>"]
    assert secure["tls"] is True and plain["tls"] is False
    assert secure["helo"] == "mx.client.example" and secure["peer"] == "127.0.0.1"
    assert secure["mail_from"] == "ben@client.example"


FAILED_RUN = "intake run failed; the spool entries stay queued, retrying"


@pytest.mark.slow
@sqlite_only
def test_worker_survives_a_database_failure_and_retries(box):
    """A database that refuses writes for a while (locked by another process for twice the
    busy timeout) never ends the worker and never sets the message aside as failed: it
    waits in the spool and becomes a ticket once the database answers."""
    import sqlite3
    box.set_ini("worker", "poll_seconds", "0.05")
    box.start("mta")
    box.start("worker")
    wait_for(lambda: "worker started" in box.log("worker"))
    blocker = sqlite3.connect(box.root / "appliance.db", timeout=1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        send(box, message(message_id="<locked@client.example>"))
        # intake meets the lock (after up to 10 s for the lock file and 10 s of SQLite's
        # busy timeout, longer when the center's turn or the delivery thread waited first)
        # and goes on living; the lock stays until then, however long that takes
        wait_for(lambda: FAILED_RUN in box.log("worker"), timeout=90, interval=0.5)
        time.sleep(1)
        assert box.procs["worker"].poll() is None, box.log("worker")[-2000:]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    [item] = wait_for(lambda: items(box), timeout=20)
    assert item["title"] == "Printer broken"
    [row] = incoming(box)
    assert row["action"] == "created" and not row["error"]
    assert FAILED_RUN in box.log("worker")
