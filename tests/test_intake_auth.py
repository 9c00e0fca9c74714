"""Sender authentication at intake, with DNS answered from the box's table: recorded for
every message, an Authentication-Results header on the stored message, and a From that
fails DMARC never appends to an existing item by subject tag."""
from __future__ import annotations

import smtplib

from conftest import DOMAIN, message, wait_for

CLIENT_DNS = {
    "client.example": {"TXT": "v=spf1 ip4:192.0.2.10 -all"},
    "_dmarc.client.example": {"TXT": "v=DMARC1; p=reject"},
}


def send(box, raw: bytes, sender="ben@client.example") -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


def test_dmarc_failure_cannot_hijack_by_tag_and_is_shown(box):
    box.start("mta")
    box.start("worker")
    # First message before the domain publishes anything: DMARC none, a normal ticket.
    send(box, message(subject="Printer", message_id="<p1@client.example>"))
    wait_for(lambda: box.json("items", "list"))
    box.stop("worker")
    box.set_dns(CLIENT_DNS)
    box.start("worker")
    # The same sender address, now from an address its SPF does not allow, no DKIM:
    # DMARC fails, so the [#1] tag must not append even though ben follows item 1.
    send(box, message(subject="Re: [#1] Printer", message_id="<p2@forged.example>"))
    rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        box.json("mail", "incoming")))
    forged = rows[0]
    assert forged["auth"]["spf"] == "fail" and forged["auth"]["dmarc"] == "fail"
    assert forged["action"] == "created" and forged["item_id"] != 1
    assert any("failed DMARC" in r for r in forged["reasons"])
    items = {i["id"]: i for i in box.json("items", "list")}
    assert items[forged["item_id"]]["sender_verified"] is False
    assert items[1]["sender_verified"] is True
    first = rows[1]
    assert first["auth"]["spf"] == "none" and first["auth"]["dmarc"] == "none"
    raw = box.cli("mail", "incoming", str(forged["id"]), "--raw").stdout
    assert raw.startswith(b"Authentication-Results: box.example;")
    assert b"spf=fail" in raw and b"dmarc=fail" in raw
    assert b"Message-ID: <p2@forged.example>" in raw


def test_dns_failure_records_temperror_without_stalling_intake(box):
    box.set_dns({"client.example": {"TXT": "!timeout"},
                 "_dmarc.client.example": {"TXT": "!timeout"}})
    box.start("mta")
    box.start("worker")
    send(box, message(message_id="<t1@client.example>"))
    [row] = wait_for(lambda: box.json("mail", "incoming"), timeout=10)
    assert row["auth"]["spf"] == "temperror"
    assert row["action"] == "created"
