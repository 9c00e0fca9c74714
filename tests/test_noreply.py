"""Automated mail over SMTP to the running box (issue 12, point 5): nothing automated goes
to a no-reply mailbox, whatever its spelling; Gmail's forwarding confirmation is shown to
the admins instead of becoming a ticket; an auto-reply on an item is marked and never
relayed; mail a rate limit keeps back is in the outgoing log as ``suppressed``.  Outgoing
mail reaches a loopback SMTP server; the panel is the running web service."""
from __future__ import annotations

import email
import html
import time

import pytest
from conftest import DOMAIN, message, relaying, wait_for
from test_contact_forms import ADMIN, AGENT, Http, incoming, send, to_whom

BEN = "ben@client.example"


@pytest.fixture
def live(box):
    with relaying(box, "mta", "worker", "web", agent=AGENT) as b:
        yield b


def from_(sender: str, subject: str, tag: str, extra: str = "", body: str = "Hello.") -> bytes:
    raw = message(subject=subject, message_id=f"<{tag}@client.example>", extra=extra,
                  body=body)
    return raw.replace(f"From: Ben Carter <{BEN}>".encode(), f"From: <{sender}>".encode())


def outgoing(box) -> list[dict]:
    return box.json("mail", "outgoing")


def test_no_automated_mail_to_an_address_with_a_noreply_marker_anywhere(live):
    """A02 would answer each new ticket; only Ben is a person.  The others are in the
    outgoing log as suppressed, with the reason."""
    box = live
    robots = ["forwarding-noreply@google.com", "info.no_reply@shop.example",
              "donotreply@bank.example", "alerts-do-not-reply@monitor.example",
              "bounces+4711@lists.example", "Mailer-Daemon@mx.example",
              "billing.NoReply@saas.example"]
    for n, sender in enumerate(robots):
        send(box, from_(sender, f"Your invoice {n}", f"robot{n}"), sender)
    send(box, message(subject="Printer broken", message_id="<ben1@client.example>"), BEN)
    rows = incoming(box, len(robots) + 1)
    assert all(r["action"] == "created" for r in rows), [r["reasons"] for r in rows]
    # every robot is the requester of its ticket, yet follows nothing
    for row in rows[:-1]:
        assert box.json("items", "show", str(row["item_id"]))["followers"] == []
    [auto] = wait_for(lambda: box.sink.received, timeout=30)
    assert auto.rcpt_tos == [BEN]

    def all_logged():
        rows = outgoing(box)
        return rows if len(rows) >= len(robots) + 1 else None
    logged = wait_for(all_logged, timeout=30)
    held = {r["to"][0]: r for r in logged if r["status"] == "suppressed"}
    assert set(held) == set(robots)
    for address, row in held.items():
        assert "not a person" in row["reason"] and address in row["reason"], row
        assert row["item_id"] is not None
    time.sleep(2)
    assert to_whom(box.sink) == [BEN]


GMAIL = [
    ("en", "(#612345789) Gmail Forwarding Confirmation - Receive Mail from "
           "support@acme.example",
     "support@acme.example has requested to automatically forward mail to your email "
     "address tickets@box.example.\r\nConfirmation code: 612345789\r\n\r\nTo allow "
     "support@acme.example to automatically forward mail to your address, please click the "
     "link below to confirm the request:\r\n\r\n"
     "https://mail-settings.google.com/mail/vf-%5BANGjdJ_en1%5D-AbC123\r\n"),
    ("de", "=?UTF-8?Q?(#723456781)_Gmail-Weiterleitungsbest=C3=A4tigung_-_E-Mails_von_"
           "hilfe@acme.example_empfangen?=",
     "hilfe@acme.example hat angefordert, E-Mails automatisch an Ihre E-Mail-Adresse "
     "tickets@box.example weiterzuleiten.\r\nBestaetigungscode: 723456781\r\n\r\n"
     "https://mail.google.com/mail/vf-%5BANGjdJ_de2%5D-XyZ789\r\n"),
    ("fr", "=?UTF-8?Q?(#834567812)_Confirmation_de_transfert_Gmail_-_Recevoir_des_"
           "messages_de_aide@acme.example?=",
     "aide@acme.example a demande a transferer automatiquement les messages vers votre "
     "adresse tickets@box.example.\r\nCode de confirmation : 834567812\r\n\r\n"
     "https://mail-settings.google.com/mail/vf-%5BANGjdJ_fr3%5D-QrS456\r\n"),
    ("es", "=?UTF-8?Q?(#945678123)_Confirmaci=C3=B3n_de_reenv=C3=ADo_de_Gmail_-_Recibir_"
           "correo_de_ayuda@acme.example?=",
     "ayuda@acme.example ha solicitado reenviar automaticamente correo a tu direccion "
     "tickets@box.example.\r\nCodigo de confirmacion: 945678123\r\n\r\n"
     "https://mail-settings.google.com/mail/vf-%5BANGjdJ_es4%5D-TuV012\r\n"),
]


def gmail_mail(subject: str, body: str, tag: str) -> bytes:
    return (f"From: Gmail Team <forwarding-noreply@google.com>\r\nTo: tickets@{DOMAIN}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{tag}@google.com>\r\n"
            f"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()


def test_gmail_forwarding_confirmation_is_shown_to_admins_not_filed(live):
    """In four languages: each is ignored with a reason, no ticket, no mail back, and the
    capture addresses page shows its code and Google's link.  A look-alike with a link
    elsewhere never puts that link on the page."""
    box = live
    for lang, subject, body in GMAIL:
        send(box, gmail_mail(subject, body, f"gfc-{lang}"), "forwarding-noreply@google.com")
    send(box, gmail_mail("(#111222333) Gmail Forwarding Confirmation - Receive Mail from "
                         "x@evil.example",
                         "Confirmation code: 111222333\r\nhttps://evil.example/confirm\r\n"
                         "https://mail.google.com.evil.example/x\r\n", "gfc-forged"),
         "forwarding-noreply@google.com")
    rows = incoming(box, len(GMAIL) + 1)
    for row in rows:
        assert row["action"] == "ignored", row
        assert row["item_id"] is None
        assert any("forwarding confirmation" in r for r in row["reasons"]), row["reasons"]
        assert "gmail-forwarding-confirmation" in row["decision"]["rules"]
    codes = [r["decision"]["forwarding_confirmation"]["code"] for r in rows]
    assert codes == ["612345789", "723456781", "834567812", "945678123", "111222333"]
    assert rows[1]["decision"]["forwarding_confirmation"]["requested_by"] == \
        "hilfe@acme.example"
    assert box.json("items", "list") == []

    admin = Http(box.web_port).login(ADMIN)
    status, page = admin.request("/admin/capture")
    assert status == 200
    text = html.unescape(page)
    assert "Gmail asks you to confirm forwarding" in text
    for lang, _, body in GMAIL:
        code = body.split("\r\n")[1].rsplit(" ", 1)[1]
        link = next(w for w in body.split() if w.startswith("https://"))
        assert code in text and f'href="{link}"' in text, lang
    assert "hilfe@acme.example" in text
    assert "evil.example/confirm" not in text and "google.com.evil" not in text
    assert "not signed by google.com" in text
    time.sleep(2)
    assert box.sink.received == [] and outgoing(box) == []


def test_an_auto_reply_on_an_item_is_marked_and_never_relayed(live):
    """Maria follows Ben's ticket.  Ben's out-of-office answer to our reply lands on the
    item with the badge "automatic reply" and reaches nobody; his real answer reaches her."""
    box = live
    box.cli("automations", "disable", "A02")
    send(box, message(subject="Printer broken", message_id="<t1@client.example>"), BEN)
    [row] = incoming(box, 1)
    item_id = str(row["item_id"])
    box.cli("items", "reply", item_id, "--author", AGENT[0], "--body", "Which model?")
    [ours] = wait_for(lambda: box.sink.received, timeout=30)
    our_id = email.message_from_bytes(ours.data)["Message-ID"]
    admin = Http(box.web_port).login(ADMIN)
    admin.request(f"/items/{item_id}")
    admin.request(f"/items/{item_id}/followers", {"email": AGENT[0]})

    send(box, message(subject=f"Automatic reply: [#{item_id}] Printer broken",
                      message_id="<oof1@client.example>",
                      body="I am out of the office until Monday.",
                      extra=f"In-Reply-To: {our_id}\r\nAuto-Submitted: auto-replied\r\n"
                            "X-Autoreply: yes\r\n"), BEN)
    _, oof = incoming(box, 2)
    assert oof["action"] == "appended" and oof["decision"]["automated"] == "auto_reply"
    messages = box.json("items", "show", item_id)["messages"]
    assert messages[-1]["automated"] == "auto_reply" and messages[0]["automated"] is None
    status, page = admin.request(f"/items/{item_id}")
    assert "badge-automated" in page and ">automatic reply<" in page
    assert page.count(">automatic reply<") == 1
    time.sleep(3)
    assert to_whom(box.sink) == [BEN]
    assert box.query("SELECT count(*) FROM relayentry r JOIN message m ON m.id = r.message_id "
                     "WHERE m.body LIKE ?", "%out of the office%")[0][0] == 0

    send(box, message(subject=f"Re: [#{item_id}] Printer broken",
                      message_id="<t2@client.example>", body="A LaserJet 4.",
                      extra=f"In-Reply-To: {our_id}\r\n"), BEN)
    wait_for(lambda: len(box.sink.received) >= 2, timeout=30)
    assert to_whom(box.sink) == [BEN, AGENT[0]]
    assert b"A LaserJet 4." in box.sink.received[1].data


def test_mail_a_rate_limit_keeps_back_is_suppressed_with_the_reason(live):
    """A robot opens four tickets; it may get two automated emails an hour: the other two
    are in the outgoing log (CLI and panel) as suppressed, naming the setting."""
    box = live
    box.cli("settings", "set", "automations.max_per_address_hour", "2")
    robot = "robot@monitor.example"
    for n in range(4):
        send(box, from_(robot, f"Alert {n}", f"alert{n}"), robot)
        wait_for(lambda: len(box.json("items", "list")) > n, timeout=30)
        time.sleep(1.5)   # each auto-reply relayed before the next alert
    logged = wait_for(lambda: (lambda r: r if len(r) >= 4 else None)(outgoing(box)),
                      timeout=30)
    sent = [r for r in logged if r["status"] != "suppressed"]
    held = [r for r in logged if r["status"] == "suppressed"]
    assert len(sent) == 2 and len(held) == 2, logged
    for row in held:
        assert row["to"] == [robot]
        assert "already got 2 automated emails within the hour" in row["reason"]
        assert "automations.max_per_address_hour" in row["reason"]
        detail = box.json("mail", "outgoing", str(row["id"]))
        assert [e["event"] for e in detail["events"]] == ["suppressed"]
        assert "automations.max_per_address_hour" in detail["events"][0]["detail"]
    text = box.cli("mail", "outgoing").stdout.decode()
    assert text.count("suppressed") >= 2 and "automations.max_per_address_hour" in text
    wait_for(lambda: len(box.sink.received) >= 2, timeout=30)
    time.sleep(2)
    assert to_whom(box.sink) == [robot, robot]

    admin = Http(box.web_port).login(ADMIN)
    status, page = admin.request("/admin/email/outgoing?status=suppressed")
    assert status == 200
    assert page.count("badge-suppressed") == 2
    assert html.unescape(page).count("automations.max_per_address_hour") == 2
    assert 'value="suppressed"' in page          # the status filter offers it
    status, page = admin.request(f"/admin/email/outgoing/{held[0]['id']}")
    assert status == 200 and "automations.max_per_address_hour" in html.unescape(page)
