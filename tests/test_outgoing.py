"""A public message posted on an item reaches its followers through the relay as
DKIM-signed mail, shown in the outgoing log; internal notes never reach customers; a
customer's answer to our mail threads back into the item."""
from __future__ import annotations

import email
import smtplib

import pytest
from conftest import DOMAIN, message, wait_for
from smtpsinks import Sink


@pytest.fixture
def live(box):
    """A box whose worker relays after one second and delivers to a loopback server."""
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1")
        box.cli("automations", "disable", "A02")
        box.start("mta")
        box.start("worker")
        box.sink = sink
        yield box


def make_ticket(box):
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="Drucker fällt aus", message_id="<t1@client.example>",
                              extra="Cc: Carol <carol@client.example>\r\n"))
    [item] = wait_for(lambda: box.json("items", "list"))
    box.cli("users", "add", "--email", "maria@acme.example", "--name", "Maria",
            "--role", "agent", "--password", "pw-maria-1")
    return item


def delivered(box, count: int):
    return wait_for(lambda: (lambda rows: rows if len(rows) >= count and all(
        r["status"] == "delivered" for r in rows) else None)(box.json("mail", "outgoing")),
        timeout=20)


def test_public_reply_is_relayed_signed_and_logged(live):
    box = live
    item = make_ticket(box)
    box.cli("settings", "set", "appearance.company_name", "Acme Support")
    box.cli("settings", "set", "outbound.from_address", "support@acme.example")
    out = box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
                  "--body", "We sent a technician.\n\nMaria").stdout.decode()
    assert "relayed in 1 s unless seen: ben@client.example, carol@client.example" in out
    log = delivered(box, 2)
    assert sorted(m["to"][0] for m in log) == ["ben@client.example", "carol@client.example"]
    for entry in log:
        assert entry["item_id"] == item["id"] and entry["kind"] == "relay"
        assert entry["subject"] == f"[#{item['id']}] Drucker fällt aus"
    full = box.json("mail", "outgoing", str(log[0]["id"]))
    assert [e["event"] for e in full["events"]][-2:] == ["signed", "queued"]
    assert "d=acme.example" in full["events"][-2]["detail"]
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
    got = sorted(r.rcpt_tos[0] for r in box.sink.received)
    assert got == ["ben@client.example", "carol@client.example"]


def test_internal_note_reaches_only_agents(live):
    box = live
    item = make_ticket(box)
    box.cli("users", "add", "--email", "olga@acme.example", "--name", "Olga",
            "--role", "agent", "--password", "pw-olga-123")
    db = box.db()
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item
    people.follow(Item.get_by_id(item["id"]), people.find("olga@acme.example"))
    people.follow(Item.get_by_id(item["id"]), people.find("maria@acme.example"))
    db.close()
    out = box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
                  "--body", "Customer is grumpy", "--internal").stdout.decode()
    assert "unless seen: olga@acme.example" in out
    [sent] = delivered(box, 1)
    assert sent["to"] == ["olga@acme.example"]


def test_customer_reply_to_our_mail_threads_into_the_item(live):
    box = live
    item = make_ticket(box)
    box.cli("items", "reply", str(item["id"]), "--author", "maria@acme.example",
            "--body", "Which model?")
    delivered(box, 2)
    sent = box.json("mail", "outgoing", "--search", "carol")[0]
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("carol@client.example", [f"tickets@{DOMAIN}"],
                      message(subject="Re: no tag", sender="carol@client.example",
                              message_id="<c2@client.example>",
                              extra=f"In-Reply-To: {sent['message_id']}\r\n"))
    wait_for(lambda: box.json("mail", "incoming")[0]["action"] == "appended")
    assert len(box.json("items", "list")) == 1
