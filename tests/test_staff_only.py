"""Issue 12, points 1 and 3: what is meant for staff never reaches a customer, and staff
hear about every customer reply.

End to end over SMTP to the running box, its outgoing mail delivered to a loopback sink
after a relay delay of one second: the admin's answer to the staff-only "New ticket" email
is an internal note the customer never receives; the assignee and the agent who answered
get the customer's next messages.  The rules underneath (which relay is staff-only, who
follows, the new automation and event, the migration) run in-process with the frozen
clock on a real database."""
from __future__ import annotations

import email
import smtplib
import time
from email import policy

import test_message_center
from conftest import DOMAIN, message, wait_for
from test_message_center import ticket

from appliance import mailids

BEN = "ben@client.example"
ADMIN = f"admin@{DOMAIN}"
LEAK = "Tom, can you take this one? Big prospect, be nice."
center = test_message_center.center


# -- helpers ---------------------------------------------------------------------------

def send(box, raw: bytes, sender: str = BEN) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


def text_of(raw: bytes) -> str:
    """Every text part of a mail, decoded (quoted-printable and base64 hide words)."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    return "\n".join(part.get_content() for part in msg.walk()
                     if part.get_content_maintype() == "text")


def mails_to(box, address: str) -> list:
    return [r for r in list(box.sink.received) if address in r.rcpt_tos]


def wait_mail(box, address: str, words: str, timeout: float = 30) -> email.message.Message:
    """The first mail ``address`` received whose text holds ``words``."""
    got = wait_for(lambda: [r for r in mails_to(box, address) if words in text_of(r.data)],
                   timeout=timeout, interval=0.1)
    return email.message_from_bytes(got[0].data, policy=policy.default)


def reply(to_mail, sender: str, name: str, body: str, message_id: str) -> bytes:
    """A mail client's answer to ``to_mail``: In-Reply-To/References, the text quoted."""
    ours = to_mail["Message-ID"]
    quoted = "\r\n".join("> " + line for line in text_of(to_mail.as_bytes()).splitlines())
    return (f"From: {name} <{sender}>\r\nTo: tickets@{DOMAIN}\r\n"
            f"Subject: Re: {to_mail['Subject']}\r\nMessage-ID: {message_id}\r\n"
            f"In-Reply-To: {ours}\r\nReferences: {ours}\r\n"
            f"Date: Thu, 26 Nov 2026 10:05:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n{quoted}\r\n"
            ).encode()


def settled(box) -> None:
    """Nothing waits to be relayed or delivered."""
    def done():
        if box.query("SELECT count(*) FROM relayentry WHERE state = 'pending'")[0][0]:
            return False
        if box.query("SELECT count(*) FROM event WHERE NOT processed")[0][0]:
            return False
        rows = box.json("mail", "outgoing")
        return all(r["status"] == "delivered" for r in rows)
    wait_for(done, timeout=30, interval=0.2)


def incoming(box, count: int) -> list[dict]:
    rows = wait_for(lambda: (lambda r: r if len(r) >= count else None)(
        box.json("mail", "incoming")), timeout=30)
    return list(reversed(rows))


def user(box, mail: str, name: str, role: str = "agent") -> str:
    box.cli("users", "add", "--email", mail, "--name", name, "--role", role,
            "--password", "pw-agent-123")
    return mail


def panel_page(box, path: str, who: tuple[str, str] = (ADMIN, "admin-pw-123")) -> str:
    """A page of the panel (the web app in-process on the box's database)."""
    from appliance import config
    from appliance.webadmin.app import make_app
    from appliance.webadmin.testclient import Client
    database = box.db()
    try:
        client = Client(make_app(config.load(box.ini)))
        assert client.login(*who).status == 303
        return client.get(path).text
    finally:
        database.close()


# -- end to end ------------------------------------------------------------------------

def test_the_admins_answer_to_the_new_ticket_email_never_reaches_the_customer(live):
    """The issue's leak: A12 on, a new ticket; the admin answers the staff-only "New
    ticket" email.  It is an internal note; the customer's mailbox never holds it, not
    after the relay delay, not in the next public answer; the admin's own note is not
    relayed back to the admin."""
    box = live
    box.cli("automations", "enable", "A12")
    tom = user(box, f"tom@{DOMAIN}", "Tom")
    box.start("mta")
    box.start("worker")
    send(box, message(subject="Quote for 500 seats", message_id="<q1@client.example>",
                      body="What would 500 seats cost?"))
    notice = wait_mail(box, ADMIN, "What would 500 seats cost?")
    assert notice["Subject"] == "[#1] New ticket: Quote for 500 seats"
    assert notice["Message-ID"].startswith("<appl.staff.")
    assert "Your reply is added as an internal note" in text_of(notice.as_bytes())
    auto = wait_mail(box, BEN, "thank you for your request")
    assert mailids.audience(auto["Message-ID"]) == "customer"
    assert "reply to this email to add to the conversation" in text_of(auto.as_bytes())
    # the outgoing log says whom each mail is for, on the command line and in the panel
    log = {r["message_id"]: r for r in box.json("mail", "outgoing")}
    assert log[notice["Message-ID"]]["audience"] == "staff"
    assert log[auto["Message-ID"]]["audience"] == "customer"
    page = panel_page(box, f"/admin/email/outgoing/{log[notice['Message-ID']]['id']}")
    assert "staff only" in page.split('id="audience"')[1].split("</dd>")[0]

    send(box, reply(notice, ADMIN, "Admin", LEAK, "<a1@box.example>"), sender=ADMIN)
    _, answer = incoming(box, 2)
    assert answer["action"] == "appended" and answer["item_id"] == 1
    assert any("staff-only" in r and "internal note" in r for r in answer["reasons"])
    [note] = [m for m in box.json("items", "show", "1")["messages"] if LEAK in m["body"]]
    assert note["internal"] is True and note["author"]["email"] == ADMIN

    # Tom answers the customer; the relay to Ben carries his answer, never the note
    box.cli("items", "reply", "1", "--author", tom, "--body", "Hello Ben, 500 seats are "
            "4,000 a year.")
    wait_mail(box, BEN, "500 seats are")
    settled(box)
    time.sleep(2.5)   # past the relay delay once more: nothing else is on its way
    settled(box)
    for got in mails_to(box, BEN):
        assert "Big prospect" not in text_of(got.data) and b"Big prospect" not in got.data
    # the admin follows now (they posted) and hears Tom's public answer, in an email
    # that shows the public conversation only; their own note never comes back to them
    relayed = wait_mail(box, ADMIN, "500 seats are")
    assert "Big prospect" not in text_of(relayed.as_bytes())
    assert "sent to the customer as a public answer" in text_of(relayed.as_bytes())
    assert all("Big prospect" not in text_of(r.data) for r in mails_to(box, ADMIN))
    # Tom answered on the command line: the customer's next message reaches him
    send(box, reply(auto, BEN, "Ben Carter", "Deal, send the contract.",
                    "<q2@client.example>"))
    to_tom = wait_mail(box, tom, "Deal, send the contract.", timeout=15)
    assert "Big prospect" not in text_of(to_tom.as_bytes())   # customer-facing relay


def test_assignee_and_answering_agent_hear_the_customers_replies(live):
    """An item assigned to Maria (command line): she is told, follows it, and the
    customer's reply reaches her within the relay delay.  Olga answers in the panel:
    the customer's next message reaches Olga and Maria, and Olga never gets her own
    answer back.  Maria answers that relay by mail: a public answer the customer gets."""
    box = live
    maria = user(box, f"maria@{DOMAIN}", "Maria")
    olga = user(box, f"olga@{DOMAIN}", "Olga")
    box.start("mta")
    box.start("worker")
    send(box, message(subject="Printer broken", message_id="<p1@client.example>"))
    auto = wait_mail(box, BEN, "thank you for your request")

    box.cli("items", "set", "1", "--assignee", maria)
    told = wait_mail(box, maria, "is now assigned to you")
    assert told["Subject"] == "[#1] Assigned to you: Printer broken"
    assert mailids.is_staff_message_id(told["Message-ID"])
    assert "Your reply is added as an internal note" in text_of(told.as_bytes())
    assert maria in [f["email"] for f in box.json("items", "show", "1")["followers"]]

    send(box, reply(auto, BEN, "Ben Carter", "It still jams on page 2.",
                    "<p2@client.example>"))
    sent_at = time.monotonic()
    relayed = wait_mail(box, maria, "It still jams on page 2.", timeout=15)
    assert time.monotonic() - sent_at < 15
    assert mailids.audience(relayed["Message-ID"]) == "customer"
    assert "sent to the customer as a public answer" in text_of(relayed.as_bytes())

    # Olga answers in the panel (the web app in-process on the box's database)
    from appliance import config
    from appliance.webadmin.app import make_app
    from appliance.webadmin.testclient import Client
    database = box.db()
    try:
        panel = Client(make_app(config.load(box.ini)))
        assert panel.login(olga, "pw-agent-123").status == 303
        panel.get("/items/1")
        assert panel.post("/items/1/messages", {"body": "Olga here: try the other tray.",
                                                "kind": "reply"}).status == 303
    finally:
        database.close()
    wait_mail(box, BEN, "try the other tray")
    followers = [f["email"] for f in box.json("items", "show", "1")["followers"]]
    assert olga in followers and maria in followers

    send(box, reply(auto, BEN, "Ben Carter", "The other tray works, thanks!",
                    "<p3@client.example>"))
    wait_mail(box, olga, "The other tray works", timeout=15)
    latest = wait_mail(box, maria, "The other tray works", timeout=15)
    settled(box)
    to_olga = mails_to(box, olga)
    assert len(to_olga) == 1   # only the customer's message, never her own answer

    # Maria answers the customer-facing relay by mail: a public answer, relayed to Ben
    send(box, reply(latest, maria, "Maria", "Glad it works, Ben.", "<m1@box.example>"),
         sender=maria)
    wait_mail(box, BEN, "Glad it works, Ben.")
    [answer] = [m for m in box.json("items", "show", "1")["messages"]
                if m["body"].startswith("Glad it works")]
    assert answer["internal"] is False


# -- the rules, in-process -------------------------------------------------------------

def _raw(mail) -> str:
    return text_of(bytes(mail.raw))


def test_relay_bringing_an_internal_note_is_staff_only_and_a_reply_to_it_stays_internal(
        center):
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.models import Automation, Message
    from appliance.outbound.models import OutgoingMail
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    people.follow(item, olga)
    conversation.post(item, maria, "Careful, he is a lawyer.", internal=True)
    center.advance(61)
    [note_mail] = OutgoingMail.select()
    assert mailids.is_staff_message_id(note_mail.message_id)
    assert "Careful, he is a lawyer." in _raw(note_mail)
    assert "Your reply is added as an internal note" in _raw(note_mail)
    # Olga answers that email, quoting the note: an internal note, relayed to staff only
    center.receive(reply(email.message_from_bytes(bytes(note_mail.raw),
                                                  policy=policy.default),
                         "olga@acme.example", "Olga", "Noted, I will word it carefully.",
                         "<o1@acme.example>"), sender="olga@acme.example")
    answer = Message.select().where(Message.message_id == "<o1@acme.example>").get()
    assert answer.internal is True
    center.advance(61)
    assert BEN not in [m[0] for m in center.mails()]


def test_relay_of_public_messages_to_an_agent_shows_no_internal_note(center):
    """The customer-facing relay an agent answers by mail is quoted in the answer: it
    shows the public conversation only."""
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import Automation
    from appliance.outbound.models import OutgoingMail
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    conversation.post(item, olga, "Internal: he owes us money.", internal=True)
    conversation.update(item, assignee=maria)
    center.advance(61)   # Maria got the note (staff-only); now a public answer by Olga
    OutgoingMail.delete().execute()
    conversation.post(item, olga, "Hello Ben, we are on it.")
    center.advance(61)
    [to_maria] = [m for m in OutgoingMail.select() if m.recipients.get().email == maria.email]
    text = _raw(to_maria)
    assert "we are on it" in text and "owes us money" not in text
    assert mailids.audience(to_maria.message_id) == "customer"
    assert "sent to the customer as a public answer" in text


def test_agents_follow_the_blocklist_wins_and_the_setting_turns_it_off(center):
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.models import Automation, Blocked
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    bot = center.user("bot@robots.example", "Bot")
    Blocked.create(pattern="*@robots.example")
    conversation.update(item, assignee=maria)
    conversation.post(item, bot, "Automatic triage: printer.")
    assert [p.email for p in people.followers(item)] == [BEN, maria.email]
    center.box.cli("settings", "set", "intake.agents_follow", "false")
    conversation.post(item, olga, "Hello Ben.")
    assert olga.email not in [p.email for p in people.followers(item)]


def test_assigned_to_you_goes_to_the_new_assignee_not_to_one_who_took_it(center):
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import AutomationRun
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    conversation.update(item, assignee=maria, by=olga)      # Olga gives it to Maria
    center.tick()
    conversation.update(item, assignee=olga, by=olga)       # Olga takes it herself
    center.tick()
    assigned = [m for m in center.mails("automated") if "Assigned to you" in m[2]]
    assert assigned == [(maria.email, "automated", f"[#{item.id}] Assigned to you: "
                                                   f"Printer broken")]
    runs = [r.outcome for r in AutomationRun.select().where(AutomationRun.automation == "A08")]
    assert any("they made the change" in r for r in runs)


def test_customer_replied_is_an_event_automations_can_use(center):
    from appliance.helpdesk import automations, conversation
    from appliance.helpdesk.models import Automation, Event
    from appliance.outbound.models import OutgoingMail
    automations.save("A12", "Customer replied: tell the assignee", "customer_replied", {},
                     [{"do": "send_email", "template": "new_item", "to": "assignees"}])
    center.box.cli("automations", "enable", "A12")
    Automation.update(enabled=False).where(Automation.code == "A08").execute()
    item = ticket(center, message_id="<c1@client.example>")
    maria = center.user("maria@acme.example", "Maria")
    conversation.update(item, assignee=maria)
    center.advance(61)   # the auto-reply reaches Ben; he answers it
    first = OutgoingMail.select().order_by(OutgoingMail.id).first()
    center.receive(message(subject=f"Re: [#{item.id}] Printer broken", body="Any news?",
                           message_id="<c2@client.example>",
                           extra=f"In-Reply-To: {first.message_id}\r\n"))
    conversation.post(item, maria, "Tomorrow.")
    center.tick()
    kinds = [e.kind for e in Event.select().where(Event.item == item)]
    assert kinds.count("customer_replied") == 1
    assert [m[0] for m in center.mails("automated")] == [maria.email]


def test_migration_installs_assigned_to_you_and_makes_workers_follow(box):
    """A database from before: A08 arrives on, assignees and posting agents follow."""
    from appliance import addresses
    from appliance.helpdesk import migrations, people
    from appliance.helpdesk.models import (Automation, Follower, Item, ItemType, Message,
                                           User)
    database = box.db()
    try:
        maria = people.get(addresses.Person("maria@acme.example", "Maria"))
        olga = people.get(addresses.Person("olga@acme.example", "Olga"))
        for p in (maria, olga):
            User.create(person=p, role="agent")
        ben = people.get(addresses.Person(BEN, "Ben"))
        item = Item.create(type=ItemType.get(name="ticket"), title="Old", requester=ben,
                           assignee=maria)
        Message.create(item=item, author=olga, body="An old answer")
        Message.create(item=item, author=ben, body="An old question")
        Automation.delete().where(Automation.code == "A08").execute()
        database.execute_sql("DELETE FROM schema_version WHERE version = 9")
        assert migrations.migrate(database) == [9]
        assert Automation.get_by_id("A08").enabled is True
        followers = {f.person.email for f in Follower.select().where(Follower.item == item)}
        assert followers == {maria.email, olga.email}   # Ben was never made to follow here
    finally:
        database.close()
