"""The whole outbound path in the running worker: a reply is relayed and delivered to a real SMTP
server (smarthost mode), signed so that dkimpy verifies it against the record
``appliance dkim dns`` prints; a bounce report arriving later marks it bounced and the
item shows it."""
from __future__ import annotations

import email
import json
import smtplib

import dkim
from conftest import DOMAIN, message, wait_for
from smtpsinks import Sink


def dns_from_records(box) -> dict:
    records = box.json("dkim", "dns")
    return {r["name"].rstrip(".") + ".": r["value"] for r in records if r["type"] == "TXT"}


def test_reply_is_delivered_signed_and_a_bounce_report_marks_it(box):
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1")
        box.cli("automations", "disable", "A02")
        box.start("mta")
        box.start("worker")
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                          message(message_id="<b1@client.example>"))
        [item] = wait_for(lambda: box.json("items", "list"))
        box.cli("users", "add", "--email", "maria@box.example", "--name", "Maria",
                "--role", "agent", "--password", "pw-maria-1")
        box.cli("items", "reply", str(item["id"]), "--author", "maria@box.example",
                "--body", "Fixed, please try again.")
        [got] = wait_for(lambda: sink.received, timeout=15)
        assert got.rcpt_tos == ["ben@client.example"]
        assert got.mail_from == f"support@{DOMAIN}"
        txt = dns_from_records(box)
        assert dkim.verify(got.data, dnsfunc=lambda name, timeout=5: txt.get(
            name.decode(), "").encode())
        [sent] = wait_for(lambda: [m for m in box.json("mail", "outgoing")
                                   if m["status"] == "delivered"], timeout=10)
        full = box.json("mail", "outgoing", str(sent["id"]))
        events = [e["event"] for e in full["events"]]
        assert events[0] == "delivered" and "attempt" in events and events[-1] == "queued"
        attempt = next(e for e in full["events"] if e["event"] == "attempt")
        assert f"127.0.0.1:{sink.port}" in attempt["detail"] and "250" in attempt["detail"]

        # The customer's server bounces it later: a delivery status report to tickets@.
        bounce = (
            "From: MAILER-DAEMON@client.example\r\nTo: tickets@box.example\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: <bounce1@client.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.client.example\r\n\r\n"
            "Final-Recipient: rfc822; ben@client.example\r\nAction: failed\r\n"
            "Status: 5.2.2\r\n\r\n"
            "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {full['message_id']}\r\nTo: ben@client.example\r\n\r\n--B--\r\n")
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("", [f"tickets@{DOMAIN}"], bounce.encode())
        row = wait_for(lambda: next((r for r in box.json("mail", "incoming")
                                     if r["message_id"] == "<bounce1@client.example>"), None))
        assert row["action"] == "ignored" and row["decision"]["automated"] == "bounce"
        assert any("1 of our outgoing message(s) marked bounced" in r for r in row["reasons"])
        assert box.json("mail", "outgoing", str(sent["id"]))["status"] == "bounced"
        shown = box.json("items", "show", str(item["id"]))
        assert shown["requester_bounced"] is True
        assert shown["bounced"] == ["ben@client.example"]
        assert len(box.json("items", "list")) == 1
        assert json.dumps(shown)  # the document stays JSON-serialisable


def test_customer_mail_gets_the_auto_reply_by_relay_signed(box):
    """Customer's mail -> ticket -> A02 posts the auto-reply -> after the delay a DKIM-signed
    relay email reaches the customer with the item's overview and the auto-reply text."""
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="2",
                       appearance__company_name="Acme Support")
        box.start("mta")
        box.start("worker")
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                          message(subject="Plotter offline", message_id="<ar1@client.example>"))
        [item] = wait_for(lambda: box.json("items", "list"))
        shown = box.json("items", "show", str(item["id"]))
        assert [m["automation"] for m in shown["messages"]] == [None, "A02"]
        [got] = wait_for(lambda: sink.received, timeout=15)
        assert got.rcpt_tos == ["ben@client.example"]
        txt = dns_from_records(box)
        assert dkim.verify(got.data, dnsfunc=lambda name, timeout=5: txt.get(
            name.decode(), "").encode())
        msg = email.message_from_bytes(got.data)
        assert msg["Subject"] == f"[#{item['id']}] Plotter offline"
        assert msg["Auto-Submitted"] == "auto-replied"
        body = msg.get_payload()[0].get_payload(decode=True).decode()
        assert "Dear Ben Carter," in body and "thank you for your request" in body
        assert f"Ticket #{item['id']}: Plotter offline" in body
        assert "Status: open" in body and "Requester: Ben Carter" in body
        html = msg.get_payload()[1].get_payload(decode=True).decode()
        assert "Acme Support" in html and "Dear Ben Carter," in html
