"""An agent's forward (issue 12, point 2), over SMTP to the running box with a loopback sink.

With agent forwarding on, the agent's own words above the forwarded block are an internal
note by that agent and never reach the customer, by the relay or the auto-reply; the item's
first public message is the original message with its date and attachments; the title
loses the forward prefix, whatever the client wrote.
"""
from __future__ import annotations

import email
import email.policy
import smtplib
import time
from email.message import EmailMessage

import pytest
from conftest import DOMAIN, wait_for
from smtpsinks import Sink

AGENT = f"admin@{DOMAIN}"          # the box's admin: an agent
CUSTOMER = "walter@customer.example"
NOTE = "Customer called, he is upset, please handle."
ORIGINAL = "My printer prints only blank pages since this morning."


@pytest.fixture
def live(box):
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1", intake__agent_forwarding="true")
        box.sink = sink
        box.start("mta")
        box.start("worker")
        yield box


def send(box, raw: bytes, sender: str = AGENT) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


def forward(subject: str, block: str) -> bytes:
    return (f"From: Ada Admin <{AGENT}>\r\nTo: tickets@{DOMAIN}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@{DOMAIN}>\r\n"
            f"Date: Wed, 02 Dec 2026 09:30:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{NOTE}\r\n\r\nAda\r\n\r\n"
            f"{block}\r\n{ORIGINAL}\r\n\r\nWalter\r\n").encode()


OUTLOOK = ("-----Original Message-----\r\nFrom: Walter White <walter@customer.example>\r\n"
           "Sent: Tuesday, December 1, 2026 4:15 PM\r\nTo: Support <support@acme.example>\r\n"
           "Subject: Printer broken\r\n")
GMAIL_DE = ("---------- Forwarded message ---------\r\n"
            "Von: Walter White <walter@customer.example>\r\n"
            "Date: Tue, 1 Dec 2026 16:15:00 +0100\r\nSubject: Printer broken\r\n"
            "To: <support@acme.example>\r\n")


def item_of(box) -> dict:
    [row] = wait_for(lambda: box.json("items", "list"), timeout=30)
    return box.json("items", "show", str(row["id"]))


def sink_texts(box) -> list[str]:
    texts = []
    for mail in box.sink.received:
        msg = email.message_from_bytes(mail.data)
        texts += [p.get_payload(decode=True).decode("utf-8", "replace") for p in msg.walk()
                  if p.get_content_maintype() == "text"]
    return texts


def settled(box) -> None:
    """Every relay entry done and every outgoing mail delivered."""
    def done():
        if box.query("SELECT count(*) FROM relayentry WHERE state = 'pending'")[0][0]:
            return None
        rows = box.json("mail", "outgoing")
        return rows if rows and all(r["status"] == "delivered" for r in rows) else None
    wait_for(done, timeout=30, interval=0.2)


@pytest.mark.parametrize("subject,block,sent", [
    ("FW: Printer broken", OUTLOOK, "2026-12-01T16:15:00"),
    ("WG: Printer broken", GMAIL_DE, "2026-12-01T15:15:00"),
    ("Fwd: Fw: Printer broken", GMAIL_DE, "2026-12-01T15:15:00"),
])
def test_the_agents_words_are_an_internal_note_and_never_reach_the_customer(
        live, subject, block, sent):
    send(live, forward(subject, block))
    item = item_of(live)
    assert item["requester"]["email"] == CUSTOMER
    assert item["title"] == "Printer broken"
    assert NOTE not in item["description"] and ORIGINAL in item["description"]
    public = [m for m in item["messages"] if not m["internal"] and not m["automation"]]
    internal = [m for m in item["messages"] if m["internal"]]
    assert len(public) == 1 and public[0]["author"]["email"] == CUSTOMER
    assert ORIGINAL in public[0]["body"] and NOTE not in public[0]["body"]
    assert public[0]["created_at"].startswith(sent)
    assert len(internal) == 1 and NOTE in internal[0]["body"]
    assert internal[0]["author"]["email"] == AGENT
    [row] = live.json("mail", "incoming")
    assert any(r.startswith("Agent forward:") for r in row["reasons"]), row["reasons"]
    settled(live)
    to_customer = [m for m in live.sink.received if CUSTOMER in m.rcpt_tos]
    assert to_customer, "the customer gets the auto-reply"
    assert not any("upset" in t for t in sink_texts(live)), "the agent's note leaked"


def test_forwarded_as_attachment_the_attached_message_is_the_public_one(live):
    inner = EmailMessage()
    inner["From"] = f"Walter White <{CUSTOMER}>"
    inner["To"] = "support@acme.example"
    inner["Subject"] = "Printer broken"
    inner["Date"] = "Tue, 01 Dec 2026 16:15:00 +0000"
    inner.set_content(ORIGINAL)
    inner.add_attachment(b"%PDF-1.4 test", maintype="application", subtype="pdf",
                         filename="error.pdf")
    outer = EmailMessage()
    outer["From"] = f"Ada Admin <{AGENT}>"
    outer["To"] = f"tickets@{DOMAIN}"
    outer["Subject"] = "Fwd: Printer broken"
    outer["Message-ID"] = f"<{time.time_ns()}@{DOMAIN}>"
    outer.set_content(NOTE)
    outer.add_attachment(inner)
    send(live, outer.as_bytes(policy=email.policy.SMTP))
    item = item_of(live)
    assert item["requester"]["email"] == CUSTOMER and item["title"] == "Printer broken"
    public = [m for m in item["messages"] if not m["internal"] and not m["automation"]]
    internal = [m for m in item["messages"] if m["internal"]]
    assert ORIGINAL in public[0]["body"] and NOTE not in public[0]["body"]
    assert [a["filename"] for a in public[0]["attachments"]] == ["error.pdf"]
    assert public[0]["created_at"].startswith("2026-12-01T16:15:00")
    assert NOTE in internal[0]["body"]
    settled(live)
    assert not any("upset" in t for t in sink_texts(live))


def test_with_agent_forwarding_off_nothing_is_taken_apart(box):
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1")
        box.start("mta")
        box.start("worker")
        send(box, forward("FW: Printer broken", OUTLOOK))
        item = item_of(box)
    assert item["requester"]["email"] == AGENT
    assert item["title"] == "FW: Printer broken"
    assert not any(m["internal"] for m in item["messages"])
