"""A public message posted on an item becomes DKIM-signed mail to its followers, shown in
the outgoing log; internal messages never reach customers; replies to our mail thread."""
from __future__ import annotations

import email
import smtplib

from conftest import DOMAIN, message, wait_for


def make_ticket(box):
    box.start("mta")
    box.start("worker")
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="Drucker fällt aus", message_id="<t1@client.example>",
                              extra="Cc: Carol <carol@client.example>\r\n"))
    [item] = wait_for(lambda: box.json("items", "list"))
    box.stop("worker")  # look at the queue before the worker delivers it
    box.cli("users", "add", "--email", "maria@acme.example", "--name", "Maria",
            "--role", "agent", "--password", "pw-maria-1")
    return item


def test_public_reply_is_composed_signed_and_logged(box):
    item = make_ticket(box)
    box.cli("settings", "set", "appearance.company_name", "Acme Support")
    box.cli("settings", "set", "outbound.from_address", "support@acme.example")
    out = box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
                  "--body", "We sent a technician.\n\nMaria").stdout.decode()
    assert "2 email(s) queued" in out
    log = box.json("mail", "outgoing")
    assert sorted(m["to"][0] for m in log) == ["ben@client.example", "carol@client.example"]
    for entry in log:
        assert entry["status"] == "queued" and entry["item_id"] == item["id"]
        assert entry["subject"] == f"[#{item['id']}] Drucker fällt aus"
    full = box.json("mail", "outgoing", str(log[0]["id"]))
    assert [e["event"] for e in full["events"]] == ["signed", "queued"]
    assert "d=acme.example" in full["events"][0]["detail"]
    raw = full["raw"].encode()
    msg = email.message_from_bytes(raw)
    assert raw.startswith(b"DKIM-Signature:")
    assert msg["From"] == "Maria at Acme Support <support@acme.example>"
    assert msg["Reply-To"].endswith(f"<tickets@{DOMAIN}>")
    assert msg["In-Reply-To"] == "<t1@client.example>"
    assert msg["X-Appliance-Loop"] == DOMAIN
    assert msg["Auto-Submitted"] is None  # a person wrote it
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_payload()
    assert "We sent a technician." in text.get_payload(decode=True).decode()
    assert "Acme Support" in html.get_payload(decode=True).decode()
    assert "ö" not in msg["Subject"] and "=?utf-8?" in msg["Subject"]


def test_internal_note_reaches_only_agents(box):
    item = make_ticket(box)
    box.cli("users", "add", "--email", "olga@acme.example", "--name", "Olga",
            "--role", "agent", "--password", "pw-olga-123")
    db = box.db()
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item
    people.follow(Item.get_by_id(item["id"]), people.find("olga@acme.example"))
    db.close()
    out = box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
                  "--body", "Customer is grumpy", "--internal").stdout.decode()
    assert "1 email(s) queued to olga@acme.example" in out
    assert [m["to"] for m in box.json("mail", "outgoing")] == [["olga@acme.example"]]


def test_author_never_gets_their_own_message(box):
    item = make_ticket(box)
    db = box.db()
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item
    people.follow(Item.get_by_id(item["id"]), people.find("maria@acme.example"))
    db.close()
    box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
            "--body", "On it")
    assert "maria@acme.example" not in [m["to"][0] for m in box.json("mail", "outgoing")]


def test_customer_reply_to_our_mail_threads_into_the_item(box):
    item = make_ticket(box)
    box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
            "--body", "Which model?")
    sent = box.json("mail", "outgoing", "--search", "carol")[0]
    box.start("worker")
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("carol@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="Re: no tag", sender="carol@client.example",
                              message_id="<c2@client.example>",
                              extra=f"In-Reply-To: {sent['message_id']}\r\n"))
    wait_for(lambda: box.json("mail", "incoming")[0]["action"] == "appended")
    assert len(box.json("items", "list")) == 1
