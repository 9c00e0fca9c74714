"""A real forwarder in front of the box: Debian's Postfix on loopback with a virtual alias
``support@widgets.example`` -> ``tickets@help.example.com``.  Mail sent to the company's
support address becomes a ticket whose requester is the customer who wrote it."""
from __future__ import annotations

import smtplib
import sys

import pytest
from conftest import ROOT, Box, wait_for

sys.path.insert(0, str(ROOT / "bench"))
import postfixlab  # noqa: E402

pytestmark = pytest.mark.skipif(not postfixlab.available(),
                                reason="Debian's postfix package is not installed "
                                       "(scripts/test.sh installs it as root)")


def test_postfix_virtual_alias_forward_files_ticket_for_original_sender(tmp_path):
    box = Box(tmp_path / "box", domain="help.example.com").init()
    lab = postfixlab.PrivatePostfix(main={
        "virtual_alias_domains": "widgets.example",
        "virtual_alias_maps": "hash:{conf}/virtual",
        "transport_maps": "hash:{conf}/transport",
    }, maps={
        "virtual": "support@widgets.example tickets@help.example.com\n",
        "transport": f"help.example.com smtp:[127.0.0.1]:{box.smtp_port}\n",
    })
    # Everything here sends from loopback; client.example's SPF names it, so Ravi's mail
    # arrives authenticated and the people in his Cc follow at once (helpdesk/following.py).
    box.set_dns({"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}})
    try:
        box.start("mta")
        box.start("worker")
        lab.start()
        raw = (b"From: Ravi Kumar <ravi.kumar@client.example>\r\n"
               b"To: Widgets Support <support@widgets.example>\r\n"
               b"Cc: Mei <mei@client.example>\r\n"
               b"Subject: Order 1189 not shipped\r\n"
               b"Message-ID: <ravi-pf-1@client.example>\r\n"
               b"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n"
               b"Order 1189 was paid a week ago but has not shipped.\r\n")
        with smtplib.SMTP("127.0.0.1", lab.port, timeout=10) as smtp:
            smtp.sendmail("ravi.kumar@client.example", ["support@widgets.example"], raw)
        try:
            [item] = wait_for(lambda: box.json("items", "list"), timeout=30)
        except TimeoutError:
            raise AssertionError("no ticket; postfix log:\n" + lab.log_text[-3000:])
        assert item["requester"]["email"] == "ravi.kumar@client.example"
        followers = [f["email"] for f in item["followers"]]
        assert "support@widgets.example" not in followers
        assert "mei@client.example" in followers
        [row] = box.json("mail", "incoming")
        assert row["decision"]["kind"] == "auto_forward"
        assert row["rcpt_tos"] == ["tickets@help.example.com"]
        assert any("support@widgets.example" in r for r in row["reasons"])
        assert "relay=127.0.0.1" in lab.log_text and "status=sent" in lab.log_text
    finally:
        lab.stop()
        box.stop_all()
