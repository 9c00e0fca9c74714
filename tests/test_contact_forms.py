"""Contact forms over SMTP to the running box (issue 12, point 4): a web form's mail
(From a no-reply address or the company mailbox, Reply-To the customer) is the customer's
ticket; a reply that would reach nobody is refused in the CLI and the panel instead of being
announced as sent; a follower added later gets the last public answer.  Outgoing mail
reaches a loopback SMTP server; the panel is the running web service."""
from __future__ import annotations

import email
import re
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from conftest import DOMAIN, message, relaying, wait_for

NOBODY = "nobody would receive this: add the customer as a follower"
ADMIN = (f"admin@{DOMAIN}", "admin-pw-123")
AGENT = (f"maria@{DOMAIN}", "pw-agent-123")


class Http:
    """A browser's part over a real socket: cookies kept, redirects followed, the CSRF
    token read from the last page."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        self.page = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        if data is not None:
            token = re.search(r'name="csrf_token" value="([^"]+)"', self.page)
            data = {"csrf_token": token.group(1) if token else "", **data}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body),
                                  timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        self.page = text
        return status, text

    def login(self, who: tuple[str, str]) -> "Http":
        self.request("/login")
        status, text = self.request("/login", {"email": who[0], "password": who[1]})
        assert status == 200 and "/logout" in text, text[:500]
        return self


def send(box, raw: bytes, sender: str) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


def form_mail(sender: str, reply_to: str | None, subject: str, tag: str) -> bytes:
    """What a website's contact form sends: From the site, Reply-To whoever filled it in."""
    extra = f"Reply-To: {reply_to}\r\n" if reply_to else ""
    raw = message(subject=subject, message_id=f"<{tag}@acme.example>", extra=extra,
                  body="Name: Ann Smith\r\nMessage: the printer on floor 2 is jammed.")
    return raw.replace(b"From: Ben Carter <ben@client.example>",
                       f"From: Acme website <{sender}>".encode())


def incoming(box, count: int) -> list[dict]:
    rows = wait_for(lambda: (lambda r: r if len(r) >= count else None)(
        box.json("mail", "incoming")), timeout=30)
    return list(reversed(rows))


def to_whom(sink) -> list[str]:
    return [r.rcpt_tos[0] for r in sink.received]


def text_of(raw: bytes) -> str:
    msg = email.message_from_bytes(raw)
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


@pytest.fixture
def live(box):
    """The running box (MTA, worker, panel) relaying after one second to a loopback sink."""
    with relaying(box, "mta", "worker", "web", agent=AGENT,
                  intake__company_addresses="support@acme.example") as b:
        yield b


def test_web_form_mail_makes_the_person_in_reply_to_the_requester(live):
    """No-reply senders of every spelling, and the company's own mailbox: the person in
    Reply-To is the requester, follows, and gets the auto-reply; the form never does."""
    box = live
    forms = [("noreply@acme.example", "Ann Smith <ann@client.example>"),
             ("website-no_reply@acme.example", "Bo <bo@client.example>"),
             ("DoNotReply@forms.example", "Cy <cy@client.example>"),
             ("support@acme.example", "Di <di@client.example>")]   # the company mailbox
    for n, (sender, reply_to) in enumerate(forms):
        send(box, form_mail(sender, reply_to, f"Contact form {n}", f"form{n}"), sender)
    rows = incoming(box, len(forms))
    customers = ["ann@client.example", "bo@client.example", "cy@client.example",
                 "di@client.example"]
    for row, (sender, _), customer in zip(rows, forms, customers):
        assert row["action"] == "created", row
        assert row["decision"]["requester"]["email"] == customer
        assert any("Reply-To" in r and customer in r for r in row["decision"]["reasons"])
        assert any(sender in r and ("no-reply address" in r or "company's support mailbox"
                                    in r) for r in row["decision"]["reasons"]), row
        item = box.json("items", "show", str(row["item_id"]))
        assert item["requester"]["email"] == customer
        assert [f["email"] for f in item["followers"]] == [customer]
    # A02's auto-reply reaches each customer, never the form's address
    wait_for(lambda: len(box.sink.received) >= len(forms), timeout=30)
    time.sleep(2)
    assert sorted(to_whom(box.sink)) == customers


def test_a_reply_nobody_would_receive_is_refused_in_the_cli_and_the_panel(live):
    """A form without Reply-To: its no-reply address is the requester and follows nothing.
    "Send reply" must not pretend the answer went out; once the customer follows, it does."""
    box = live
    send(box, form_mail("noreply@shop.example", None, "Order 1234 question", "nr1"),
         "noreply@shop.example")
    [row] = incoming(box, 1)
    item_id = str(row["item_id"])
    assert box.json("items", "show", item_id)["followers"] == []

    refused = box.cli("items", "reply", item_id, "--author", AGENT[0], "--body",
                      "Which order?", check=False)
    assert refused.returncode != 0
    assert NOBODY in refused.stderr.decode()
    assert "Traceback" not in refused.stderr.decode()
    assert len(box.json("items", "show", item_id)["messages"]) == 1

    agent = Http(box.web_port).login(AGENT)
    status, page = agent.request(f"/items/{item_id}")
    assert status == 200 and 'id="reply-nobody"' in page
    status, page = agent.request(f"/items/{item_id}/messages",
                                 {"body": "Your order ships Monday.", "kind": "reply"})
    assert status == 409
    assert NOBODY in page and 'id="reply-refused"' in page
    assert "Your order ships Monday." in page          # the text is kept in the form
    assert "Reply posted" not in page and "by email" not in page
    assert len(box.json("items", "show", item_id)["messages"]) == 1
    # an internal note is fine: it is for agents
    box.cli("items", "reply", item_id, "--author", AGENT[0], "--body", "Ask the shop.",
            "--internal")

    # the agent adds the customer; now the reply goes out and reaches them
    status, page = agent.request(f"/items/{item_id}/followers",
                                 {"email": "ann@client.example"})
    assert status == 200 and "ann@client.example now follows" in page
    status, page = agent.request(f"/items/{item_id}/messages",
                                 {"body": "Your order ships Monday.", "kind": "reply"})
    assert status == 200 and "ann@client.example gets it by email" in page
    [got] = wait_for(lambda: box.sink.received, timeout=30)
    assert got.rcpt_tos == ["ann@client.example"]
    assert "Your order ships Monday." in text_of(got.data)
    assert "Ask the shop." not in text_of(got.data)
    time.sleep(2)
    assert len(box.sink.received) == 1


def test_a_follower_added_later_gets_the_last_public_answer(live):
    """Carol is added after the agent answered Ben: the relay brings her that answer.
    Someone who already received it (Ben, removed and added again) gets nothing new."""
    box = live
    box.cli("automations", "disable", "A02")
    send(box, message(subject="Printer", message_id="<p1@client.example>"),
         "ben@client.example")
    [row] = incoming(box, 1)
    item_id = str(row["item_id"])
    box.cli("items", "reply", item_id, "--author", AGENT[0], "--body", "Which model is it?")
    box.cli("items", "reply", item_id, "--author", AGENT[0], "--body", "Staff only.",
            "--internal")
    [first] = wait_for(lambda: box.sink.received, timeout=30)
    assert first.rcpt_tos == ["ben@client.example"]

    admin = Http(box.web_port).login(ADMIN)
    admin.request(f"/items/{item_id}")
    status, page = admin.request(f"/items/{item_id}/followers",
                                 {"email": "carol@client.example"})
    assert status == 200 and "they get the last answer by email" in page
    wait_for(lambda: len(box.sink.received) >= 2, timeout=30)
    late = box.sink.received[1]
    assert late.rcpt_tos == ["carol@client.example"]
    assert "Which model is it?" in text_of(late.data)
    assert "Staff only." not in text_of(late.data)

    admin.request(f"/items/{item_id}")
    admin.request(f"/items/{item_id}/followers/remove", {"email": "ben@client.example"})
    admin.request(f"/items/{item_id}")
    status, page = admin.request(f"/items/{item_id}/followers",
                                 {"email": "ben@client.example"})
    assert "ben@client.example now follows" in page and "last answer" not in page
    time.sleep(3)
    assert to_whom(box.sink) == ["ben@client.example", "carol@client.example"]
