"""Hostile senders over SMTP to the running box: followers from mail are earned (no spam
relay through Cc), threading cannot be forged (no ticket hijack by a guessed [#N] or a
known Message-ID), and the From name of our mail is never one that came in with mail.
DNS comes from the box's table; outgoing mail reaches a loopback server."""
from __future__ import annotations

import base64
import email
import smtplib

import dkim
import pytest
from conftest import DOMAIN, message, wait_for
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BEN = "ben@client.example"
# client.example lets the test's loopback address send for it; no DMARC record anywhere.
SPF_PASS = {"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}}
STRANGERS = [f"victim{n}@strangers.example" for n in range(200)]


def send(box, raw: bytes, sender: str = BEN) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


def incoming(box, count: int) -> list[dict]:
    """The incoming log once it holds ``count`` rows, oldest first."""
    rows = wait_for(lambda: (lambda r: r if len(r) >= count else None)(
        box.json("mail", "incoming")), timeout=30)
    return list(reversed(rows))


def show(box, item_id: int) -> dict:
    return box.json("items", "show", str(item_id))


def emails(people: list[dict]) -> list[str]:
    return [p["email"] for p in people]


def settled(box) -> list[dict]:
    """The outgoing log once nothing is waiting to be relayed or delivered."""
    def done():
        if box.query("SELECT count(*) FROM relayentry WHERE state = 'pending'")[0][0]:
            return None
        rows = box.json("mail", "outgoing")
        return rows if all(r["status"] == "delivered" for r in rows) else None
    return wait_for(done, timeout=30, interval=0.2)


def start(box, dns: dict | None = None) -> None:
    if dns:
        box.set_dns(dns)
    box.start("mta")
    box.start("worker")


def agent(box, mail: str = "maria@box.example", name: str = "Maria") -> str:
    box.cli("users", "add", "--email", mail, "--name", name, "--role", "agent",
            "--password", "pw-agent-123")
    return mail


def test_two_unauthenticated_mails_with_200_cc_mail_nobody_but_the_requester(live):
    """The issue's spam relay: a mail with 200 Cc, then "replies" (one naming our
    Message-ID, one only the tag) with 200 Cc again.  The auto-replies go to the requester
    alone; the strangers follow nothing; an agent's answer then reaches at most the 10
    people one mail may add."""
    box = live
    start(box)   # no DNS records: nothing vouches for client.example
    cc = "Cc: " + ", ".join(STRANGERS) + "\r\n"
    send(box, message(subject="Free prizes", message_id="<spam1@client.example>", extra=cc))
    [auto] = wait_for(lambda: box.sink.received, timeout=30)
    assert auto.rcpt_tos == [BEN]
    ours = email.message_from_bytes(auto.data)["Message-ID"]
    send(box, message(subject="Re: [#1] Free prizes", message_id="<spam2@client.example>",
                      extra=cc + f"In-Reply-To: {ours}\r\n"))
    send(box, message(subject="Re: [#1] Free prizes", message_id="<spam3@client.example>",
                      extra=cc))
    first, reply, tagged = incoming(box, 3)
    wait_for(lambda: len(box.sink.received) >= 2, timeout=30)   # A02 of the new item
    sent = settled(box)
    assert {r.rcpt_tos[0] for r in box.sink.received} == {BEN}
    assert all(r["to"] == [BEN] for r in sent) and len(sent) == 2

    assert first["action"] == "created" and first["item_id"] == 1
    assert any("not authenticated" in r and "copied on item #1" in r
               for r in first["reasons"])
    assert any("At most 10 followers come from one mail" in r and "and 181 more" in r
               for r in first["reasons"])
    assert reply["action"] == "appended" and reply["item_id"] == 1
    assert any("our Message-ID" in r and "not added as followers" in r
               for r in reply["reasons"])
    assert tagged["action"] == "created" and tagged["item_id"] == 2
    assert any("may belong to #1" in r for r in tagged["reasons"])

    item = show(box, 1)
    assert emails(item["followers"]) == [BEN]
    copied = {c["email"]: c["state"] for c in item["copied"]}
    assert len(copied) == 200 and set(copied) == set(STRANGERS)
    assert [e for e, s in copied.items() if s == "pending"] == STRANGERS[:9]
    assert show(box, 2)["may_belong_to"] == 1 and emails(show(box, 2)["followers"]) == [BEN]

    # An agent answers item 1: the 9 waiting people follow now (with the requester, the 10
    # one mail may add) and get the answer; the other 191 still get nothing.
    box.cli("items", "reply", "1", "--author", agent(box), "--body", "We sell no prizes.")
    wait_for(lambda: len(box.sink.received) >= 12, timeout=30)
    answers = settled(box)[:-2]
    assert sorted(r["to"][0] for r in answers) == sorted([BEN] + STRANGERS[:9])
    assert len(box.sink.received) == 12
    # the answering agent follows too (intake.agents_follow), before the people waiting
    assert emails(show(box, 1)["followers"]) == [BEN, "maria@box.example"] + STRANGERS[:9]


def test_forged_tag_from_a_domain_without_dmarc_makes_a_linked_item(live):
    """Anyone can write From: ben@client.example when client.example publishes no DMARC:
    a forged "Re: [#1]" with the thief in Cc becomes item 2 "may belong to #1", and the
    agent's next answer on item 1 goes to Ben alone."""
    box = live
    box.cli("automations", "disable", "A02")
    start(box)
    send(box, message(subject="Invoice 4711", message_id="<real@client.example>"))
    wait_for(lambda: box.json("items", "list"))
    send(box, message(subject="Re: [#1] Invoice 4711", message_id="<forged@evil.example>",
                      body="Please send the history to my colleague.",
                      extra="Cc: Thief <thief@evil.example>\r\n"), sender="x@evil.example")
    _, forged = incoming(box, 2)
    assert forged["auth"]["dmarc"] == "none"
    assert forged["action"] == "created" and forged["item_id"] == 2
    assert any("Not threaded into item #1: subject tag [#1]" in r and "not authenticated"
               in r for r in forged["reasons"])
    assert any("it may belong to #1" in r for r in forged["reasons"])
    linked = show(box, 2)
    assert linked["may_belong_to"] == 1
    assert "thief@evil.example" not in emails(linked["followers"])
    first = show(box, 1)
    assert first["may_belong_to"] is None
    assert emails(first["followers"]) == [BEN]
    assert [m["message_id"] for m in first["messages"]] == ["<real@client.example>"]
    box.cli("items", "reply", "1", "--author", agent(box), "--body", "Here is your invoice.")
    [got] = wait_for(lambda: box.sink.received, timeout=30)
    settled(box)
    assert got.rcpt_tos == [BEN] and len(box.sink.received) == 1


def test_reply_naming_our_message_id_appends_without_adding_its_cc(live):
    """Our Message-IDs are unguessable: a follower's reply naming one appends even
    unauthenticated, but its Cc do not become followers; a reply naming only the
    Message-ID of mail in the conversation (seen by all its To/Cc) does not append."""
    box = live
    box.cli("automations", "disable", "A02")
    start(box)
    send(box, message(subject="Printer", message_id="<p1@client.example>"))
    wait_for(lambda: box.json("items", "list"))
    box.cli("items", "reply", "1", "--author", agent(box), "--body", "Which model?")
    [got] = wait_for(lambda: box.sink.received, timeout=30)
    ours = email.message_from_bytes(got.data)["Message-ID"]
    send(box, message(subject="Re: no tag", message_id="<p2@client.example>",
                      body="The LaserJet 4.", extra=f"In-Reply-To: {ours}\r\n"
                      "Cc: Dave <dave@client.example>\r\n"))
    send(box, message(subject="Re: no tag", message_id="<p3@client.example>",
                      extra="References: <p1@client.example>\r\n"))
    _, answer, theirs = incoming(box, 3)
    assert answer["action"] == "appended" and answer["item_id"] == 1
    assert any("our Message-ID" in r for r in answer["reasons"])
    assert theirs["action"] == "created" and theirs["item_id"] == 2
    assert any("a Message-ID of its conversation" in r and "not authenticated" in r
               for r in theirs["reasons"])
    assert any("it may belong to #1" in r for r in theirs["reasons"])
    item = show(box, 1)
    assert [m["body"] for m in item["messages"]][-1] == "The LaserJet 4."
    # Dave is not added; Maria follows because she answered (intake.agents_follow)
    assert emails(item["followers"]) == [BEN, "maria@box.example"]
    assert {c["email"]: c["state"] for c in item["copied"]} == {
        "dave@client.example": "listed"}


@pytest.fixture(scope="module")
def client_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(der).decode()


def test_authenticated_reply_with_tag_from_a_follower_appends(live, client_key):
    """SPF passing for the From domain, or a DKIM signature aligned with it, lets a
    follower's "[#1]" reply in (and its Cc follow); the same reply sent through a server
    that vouches for another domain does not."""
    box = live
    box.cli("automations", "disable", "A02")
    pem, pub = client_key
    start(box, {**SPF_PASS, "s1._domainkey.mail.client.example": {
        "TXT": f"v=DKIM1; k=rsa; p={pub}"}})
    send(box, message(subject="VPN down", message_id="<v1@client.example>"))
    wait_for(lambda: box.json("items", "list"))
    send(box, message(subject="Re: [#1] VPN down", message_id="<v2@client.example>",
                      extra="Cc: Carol <carol@client.example>\r\n"))
    # Through a list server: MAIL FROM is the list's, so SPF says nothing about client.
    via_list = message(subject="Re: [#1] VPN down", message_id="<v3@client.example>")
    send(box, via_list, sender="bounces@lists.example")
    # The same, signed by ben's provider for a subdomain of client.example: aligned DKIM.
    raw = message(subject="Re: [#1] VPN down", message_id="<v4@client.example>",
                  body="Signed.")
    signature = dkim.sign(raw, b"s1", b"mail.client.example", pem,
                          include_headers=[b"from", b"to", b"subject", b"message-id"])
    send(box, signature + raw, sender="bounces@lists.example")
    _, spf_reply, unsigned, dkim_reply = incoming(box, 4)
    assert unsigned["action"] == "created" and unsigned["item_id"] == 2
    assert any("not authenticated" in r for r in unsigned["reasons"])
    assert show(box, 2)["may_belong_to"] == 1
    assert spf_reply["auth"]["spf"] == "pass" and spf_reply["auth"]["dmarc"] == "none"
    assert spf_reply["action"] == "appended" and spf_reply["item_id"] == 1
    assert any("sender is authenticated" in r and "SPF passed for client.example" in r
               for r in spf_reply["reasons"])
    assert dkim_reply["auth"]["dkim"] == "pass"
    assert dkim_reply["action"] == "appended" and dkim_reply["item_id"] == 1
    assert any("DKIM signature of mail.client.example" in r for r in dkim_reply["reasons"])
    item = show(box, 1)
    assert emails(item["followers"]) == [BEN, "carol@client.example"]
    assert [m["message_id"] for m in item["messages"]] == [
        "<v1@client.example>", "<v2@client.example>", "<v4@client.example>"]


def test_from_name_of_our_mail_never_comes_from_incoming_mail(live):
    """A customer's message relayed to an agent carries the company's name, not the
    display name the sender chose ("Your Bank Security")."""
    box = live
    box.cli("automations", "disable", "A02")
    start(box, SPF_PASS)
    maria = agent(box)
    raw = message(subject="Account locked", message_id="<n1@client.example>").replace(
        b"From: Ben Carter <", b"From: Your Bank Security <")
    send(box, raw)
    wait_for(lambda: box.json("items", "list"))
    database = box.db()
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item
    people.follow(Item.get_by_id(1), people.find(maria))
    database.close()
    send(box, message(subject="Re: [#1] Account locked", message_id="<n2@client.example>",
                      body="Click here to unlock.").replace(b"From: Ben Carter <",
                                                            b"From: Your Bank Security <"))
    [got] = wait_for(lambda: box.sink.received, timeout=30)
    assert got.rcpt_tos == [maria]
    msg = email.message_from_bytes(got.data)
    assert msg["From"] == f"Support <support@{DOMAIN}>"
    assert "Bank" not in msg["Reply-To"]
