"""The shared corpus over real SMTP into a running box: the stored decision, the item's
requester and what intake did follow the labels (classification, then intake's rules:
bounces and loops make no item, an automatic reply makes none on its own)."""
from __future__ import annotations

import email
import json
import re
import smtplib
from email.utils import parseaddr

import pytest
from conftest import DATA, Box, wait_for

CORPUS = DATA / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text())


def deliver(box: Box, label: dict) -> None:
    # Some samples are stored with LF line ends; on the wire a client sends CRLF.
    raw = re.sub(rb"\r?\n", b"\r\n", (CORPUS / label["file"]).read_bytes())
    # An empty label sender means "not known", not the null sender: send from the From
    # address, as the sender's own server would have.
    sender = label["mail_from"] or parseaddr(
        str(email.message_from_bytes(raw).get("From", "")))[1]
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, label["rcpt"], raw)


@pytest.mark.parametrize("agent_forwarding", [False, True])
def test_corpus_over_smtp(tmp_path, agent_forwarding):
    box = Box(tmp_path / "box", domain="help.example.com").init()
    try:
        labels = [lb for lb in LABELS if lb["agent_forwarding"] == agent_forwarding]
        if agent_forwarding:
            box.cli("settings", "set", "intake.agent_forwarding", "true")
            for agent in sorted({a for lb in labels for a in lb["agents"]}):
                box.cli("users", "add", "--email", agent, "--name", "Agent", "--role",
                        "agent", "--password", "pw-agent-12")
        # The customers' servers send from loopback here; client.example publishes SPF for
        # them, as a real domain does, so its mail is authenticated: a reply naming its
        # own earlier message (not ours) may only thread when it is (helpdesk/threading.py).
        box.set_dns({"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}})
        box.start("mta")
        box.start("worker")
        for label in labels:
            deliver(box, label)
        rows = wait_for(lambda: (lambda r: r if len(r) == len(labels) else None)(
            box.json("mail", "incoming")), timeout=30)
        assert all(row["action"] != "failed" for row in rows), rows
        items = {i["id"]: i for i in box.json("items", "list")}
        ordered = sorted(rows, key=lambda r: r["spool_id"])
        for label, row in zip(labels, ordered):
            expect = label["expect"]
            decision = row["decision"]
            for key in ("kind", "automated"):
                if key in expect:
                    assert decision[key] == expect[key], (label["file"], decision)
            automated = decision["automated"]
            if automated in ("bounce", "loop", "auto_reply"):
                assert row["action"] == "ignored", (label["file"], row["reasons"])
                continue
            # A reply threads into the item of the message it answers.
            expected = "appended" if label["file"].startswith("reply-") else "created"
            assert row["action"] == expected, (label["file"], row["reasons"])
            if "requester" in expect:
                requester = items[row["item_id"]]["requester"]
                assert (requester or {}).get("email") == expect["requester"], label["file"]
    finally:
        box.stop_all()
