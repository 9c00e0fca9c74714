"""The support address customers see works: ``outbound.from_address`` (``support@DOMAIN``
by default) is in the From of every mail the box sends, so customers answer and write to it.
On the box's own domain it is an alias of the ticket type at the SMTP edge; the MTA follows a
change of the setting within seconds; on another domain (the company's own mailbox, which
forwards here) the box accepts nothing extra."""
from __future__ import annotations

import smtplib

from conftest import DOMAIN, message, wait_for


def rcpt(box, address: str) -> int:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as smtp:
        smtp.ehlo("client.example")
        smtp.mail("ben@client.example")
        return smtp.rcpt(address)[0]


def test_mail_to_the_default_support_address_becomes_a_ticket(running_box):
    box = running_box
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", [f"support@{DOMAIN}"],
                      message("Where is my order?", to=f"support@{DOMAIN}"))
    [item] = wait_for(lambda: box.json("items", "list"), timeout=20)
    assert item["type"] == "ticket" and item["title"] == "Where is my order?"
    assert item["requester"]["email"] == "ben@client.example"
    assert rcpt(box, f"other@{DOMAIN}") == 550   # still no catch-all


def test_the_mta_follows_a_changed_support_address(running_box):
    box = running_box
    assert rcpt(box, f"help@{DOMAIN}") == 550
    box.cli("settings", "set", "outbound.from_address", f"Help@{DOMAIN}")
    wait_for(lambda: rcpt(box, f"help@{DOMAIN}") == 250, timeout=20, interval=0.5)
    assert rcpt(box, f"support@{DOMAIN}") == 550
    # The company's own mailbox on its own domain: forwarded here, nothing extra accepted.
    box.cli("settings", "set", "outbound.from_address", "support@acme.example")
    wait_for(lambda: rcpt(box, f"help@{DOMAIN}") == 550, timeout=20, interval=0.5)
    assert rcpt(box, "support@acme.example") == 550
    assert rcpt(box, f"tickets@{DOMAIN}") == 250
