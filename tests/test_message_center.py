"""The message center with the injected clock, in-process on a real SQLite file: the
relay's delay, seen marks, internal notes, batching; A02 and the other automations; time
triggers; auto-reply protection under a mail loop."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import DOMAIN, message

from appliance import clock, config
from appliance.helpdesk import conversation, people, relay
from appliance.helpdesk.models import Automation, Item, Message
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.helpdesk.worker import Worker
from appliance.mta.spool import Envelope, Spool


class Center:
    def __init__(self, box) -> None:
        self.box = box
        self.clock = clock.FrozenClock()
        clock.set_source(self.clock)
        self.db = box.db()
        self.cfg = config.load(box.ini)
        self.worker = Worker(self.cfg)
        self.spool = Spool(self.cfg.spool_dir)

    def receive(self, raw: bytes, sender: str = "ben@client.example",
                rcpt: str = f"tickets@{DOMAIN}") -> None:
        self.spool.write(Envelope(sender, [rcpt], peer="192.0.2.7", helo="mx.client.example"),
                         raw)
        self.worker.run_once()
        self.tick()

    def tick(self) -> dict:
        return self.worker.center_tick(clock.now())

    def advance(self, seconds: float) -> dict:
        self.clock.advance(seconds)
        return self.tick()

    def mails(self, kind: str | None = None, status: str | None = None
              ) -> list[tuple[str, str, str]]:
        """(recipient, kind, subject) of every queued email, oldest first; ``status``
        ``suppressed``: those auto-reply protection kept back instead."""
        rows = (OutgoingRecipient.select(OutgoingRecipient, OutgoingMail).join(OutgoingMail)
                .order_by(OutgoingMail.id))
        return [(r.email, r.mail.kind, r.mail.subject) for r in rows
                if (kind is None or r.mail.kind == kind)
                and (r.mail.status == "suppressed") == (status == "suppressed")]

    def user(self, email: str, name: str, role: str = "agent"):
        from appliance import addresses
        from appliance.helpdesk.models import User
        person = people.get(addresses.Person(email, name))
        User.create(person=person, role=role, password_hash=None)
        return person


@pytest.fixture
def center(box):
    c = Center(box)
    yield c
    clock.set_source(None)
    c.db.close()


def ticket(center, rcpt: str = f"tickets@{DOMAIN}", **kw) -> Item:
    center.receive(message(to=rcpt, **kw), sender=kw.get("sender", "ben@client.example"),
                   rcpt=rcpt)
    return Item.select().order_by(Item.id.desc()).get()


def test_a02_auto_reply_is_relayed_after_the_delay_and_not_before(center):
    # client.example vouches for its mail (SPF), so Carol in Cc follows at once; the
    # auto-reply still goes only to the requester, never to people the sender put in Cc.
    center.box.set_dns({"client.example": {"TXT": "v=spf1 ip4:192.0.2.7 -all"}})
    center.worker = Worker(center.cfg)
    item = ticket(center, extra="Cc: Carol <carol@client.example>\r\n")
    assert [p.email for p in people.followers(item)] == ["ben@client.example",
                                                         "carol@client.example"]
    [auto] = [m for m in item.messages if m.automation == "A02"]
    assert auto.body.startswith("Dear Ben Carter,\n\nthank you for your request.")
    assert not auto.internal and auto.author is None
    center.advance(59)
    assert center.mails() == []
    center.advance(1)
    mails = center.mails()
    assert [m[0] for m in mails] == ["ben@client.example"]
    assert all(m[1] == "relay_automated" and m[2] == f"[#{item.id}] Printer broken"
               for m in mails)
    raw = bytes(OutgoingMail.select().first().raw)
    assert b"Auto-Submitted: auto-replied" in raw
    center.advance(120)
    assert len(center.mails()) == 1  # never twice


def test_customer_message_is_not_relayed_to_people_who_got_the_mail(center):
    Automation.update(enabled=False).execute()
    ticket(center, extra="Cc: Carol <carol@client.example>\r\n")
    center.advance(3600)
    # Ben wrote it, Carol was in Cc: both have the mail itself; the auto-reply is off.
    assert center.mails() == []


def test_seen_message_is_not_relayed(center):
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    people.follow(item, olga)
    conversation.post(item, maria, "We are on it.")
    center.advance(30)
    relay.mark_seen(item, olga)   # Olga opened the item in the panel
    center.advance(30)
    assert [m[0] for m in center.mails()] == ["ben@client.example"]


def test_internal_note_reaches_agents_only_and_author_never_gets_own(center):
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    olga = center.user("olga@acme.example", "Olga")
    people.follow(item, maria)
    people.follow(item, olga)
    conversation.post(item, maria, "Customer sounds upset", internal=True)
    center.advance(61)
    assert [m[0] for m in center.mails()] == ["olga@acme.example"]
    raw = bytes(OutgoingMail.get().raw).decode()
    assert "Customer sounds upset" in raw and "(internal note)" in raw


def test_three_quick_messages_make_one_relay_email_newest_first(center):
    Automation.update(enabled=False).execute()
    item = ticket(center)
    maria = center.user("maria@acme.example", "Maria")
    for n, text in enumerate(["First answer", "Second answer", "Third answer"]):
        conversation.post(item, maria, text)
        center.advance(10)
    center.advance(60)
    assert [m[0] for m in center.mails()] == ["ben@client.example"]
    import email
    msg = email.message_from_bytes(bytes(OutgoingMail.get().raw))
    text = msg.get_payload()[0].get_payload(decode=True).decode()
    assert text.index("Third answer") < text.index("Second answer") < \
        text.index("First answer") < text.index("Please help.")
    assert f"Ticket #{item.id}: Printer broken" in text
    assert "Open it:" not in text  # the panel link is for agents and admins only
    assert Item.get_by_id(item.id).first_response_at is not None


def test_a02_once_per_ticket_never_for_automated_mail_or_tasks_and_restart_safe(center):
    ticket(center, message_id="<n1@client.example>")
    center.receive(message(subject="Newsletter", message_id="<n2@list.example>",
                           extra="List-Id: <tips.list.example>\r\nPrecedence: bulk\r\n"))
    center.receive(message(subject="Out of office", message_id="<n3@client.example>",
                           extra="Auto-Submitted: auto-replied\r\n"))
    center.receive(message(subject="A task", message_id="<n4@client.example>",
                           to=f"tasks@{DOMAIN}"), rcpt=f"tasks@{DOMAIN}")
    posted = Message.select().where(Message.automation == "A02")
    assert [m.item.title for m in posted] == ["Printer broken"]
    # A restart re-reading every event never fires twice.
    from appliance.helpdesk.models import Event
    Event.update(processed=False).execute()
    center.tick()
    assert Message.select().where(Message.automation == "A02").count() == 1


def test_automated_email_to_followers_skips_people_in_cc(center):
    """An automation emailing "the followers" reaches the requester and following agents,
    never the people the sender put in Cc (even when they follow)."""
    from appliance.helpdesk import automations
    center.box.set_dns({"client.example": {"TXT": "v=spf1 ip4:192.0.2.7 -all"}})
    center.worker = Worker(center.cfg)
    center.box.cli("automations", "disable", "A02")
    automations.save("A12", "New ticket: tell its followers", "item_created",
                     {"type": ["ticket"]}, [{"do": "send_email", "template": "new_item",
                                             "to": "followers"}])
    center.box.cli("automations", "enable", "A12")
    maria = center.user("maria@acme.example", "Maria")
    item = ticket(center, extra="Cc: Carol <carol@client.example>, maria@acme.example\r\n")
    assert {p.email for p in people.followers(item)} == {
        "ben@client.example", "carol@client.example", maria.email}
    to = sorted(m[0] for m in center.mails("automated"))
    assert to == ["ben@client.example", maria.email]


def test_disabled_automation_never_fires(center):
    admin = center.user("boss@acme.example", "Boss", role="admin")
    assert Automation.get_by_id("A12").enabled is False
    ticket(center)
    center.advance(3600)
    assert admin.email not in [m[0] for m in center.mails()]
    center.box.cli("automations", "enable", "A12")
    ticket(center, subject="Second", message_id="<second@client.example>")
    assert ("boss@acme.example", "automated", "[#2] New ticket: Second") in center.mails()


def test_due_soon_fires_once_at_the_right_time(center):
    item = ticket(center, rcpt=f"tasks@{DOMAIN}", subject="Renew certificate")
    assert item.type.name == "task"
    maria = center.user("maria@acme.example", "Maria")
    center.box.cli("automations", "disable", "A08")   # "Assigned to you" is not this test
    conversation.update(item, assignee=maria, due_at=clock.now() + timedelta(hours=30))
    center.advance(5 * 3600 + 59 * 60)   # 24 h 1 min before the due date
    assert center.mails("automated") == []
    center.advance(60)                  # 24 h before: due soon
    assert center.mails("automated") == [("maria@acme.example", "automated",
                                          f"[#{item.id}] Due soon: Renew certificate")]
    center.advance(3600)
    assert len(center.mails("automated")) == 1
    conversation.update(Item.get_by_id(item.id), due_at=clock.now() + timedelta(hours=2))
    center.tick()   # a new due date is a new moment: it fires again, once
    assert len(center.mails("automated")) == 2


def test_sla_breach_fires_once_when_the_target_passes(center):
    center.box.cli("automations", "enable", "A21")
    admin = center.user("boss@acme.example", "Boss", role="admin")
    item = ticket(center)
    conversation.update(item, priority="high")         # 120 minutes
    center.advance(119 * 60)
    assert center.mails("automated") == []
    center.advance(60)
    assert sorted(center.mails("automated")) == [
        (email, "automated", f"[#{item.id}] SLA breached: Printer broken")
        for email in sorted([f"admin@{DOMAIN}", admin.email])]
    center.advance(3600)
    assert len(center.mails("automated")) == 2


def test_sla_not_breached_when_an_agent_answered(center):
    center.box.cli("automations", "enable", "A21")
    center.user("boss@acme.example", "Boss", role="admin")
    item = ticket(center)
    conversation.post(item, center.user("maria@acme.example", "Maria"), "Hello!")
    center.advance(10 * 3600)
    assert center.mails("automated") == []


def test_rate_limit_holds_under_a_mail_loop(center):
    """A misbehaving robot opens a new ticket every minute for an hour, and would answer
    each auto-reply: it gets at most automations.max_per_address_hour of them."""
    for minute in range(60):
        center.receive(message(subject=f"Alert {minute}", sender="robot@monitor.example",
                               message_id=f"<alert{minute}@monitor.example>"),
                       sender="robot@monitor.example")
        center.advance(60)
    to_robot = [m for m in center.mails() if m[0] == "robot@monitor.example"]
    assert 1 <= len(to_robot) <= 5
    # the rest are in the outgoing log as suppressed, each with the limit that held it back
    held = [m for m in center.mails(status="suppressed") if m[0] == "robot@monitor.example"]
    assert len(held) == 60 - len(to_robot)
    reasons = {r.reply for r in OutgoingRecipient.select().where(
        OutgoingRecipient.status == "suppressed")}
    assert all("automations.max_per_address_hour" in r for r in reasons), reasons


def test_never_auto_reply_to_noreply_or_bounced(center):
    ticket(center, sender="noreply@shop.example", message_id="<nr@shop.example>")
    center.advance(61)
    assert center.mails() == []
    assert [m[0] for m in center.mails(status="suppressed")] == ["noreply@shop.example"]
    # Ben's mailbox bounced our mail yesterday: no automated mail to him for a week.
    from appliance.outbound import queue
    mail = queue.enqueue(b"Subject: x\r\n\r\nx\r\n", mail_from=f"support@{DOMAIN}",
                         recipients=["ben@client.example"], subject="x",
                         message_id="<old@box.example>", kind="relay")
    OutgoingRecipient.update(status="bounced").where(OutgoingRecipient.mail == mail).execute()
    center.advance(24 * 3600)
    ticket(center, message_id="<after-bounce@client.example>")
    center.advance(61)
    assert [m for m in center.mails() if m[1] != "relay"] == []


def test_housekeeping_removes_finished_log_entries_after_retention_only(center):
    from appliance.helpdesk.models import IncomingMail
    ticket(center, message_id="<keep-then-purge@client.example>")
    failed = IncomingMail.create(spool_id="failed-1", received_at=clock.now(),
                                 action="failed", error="boom", reasons=[])
    center.advance(71 * 3600)
    center.worker.housekeeping()
    assert IncomingMail.select().count() == 2
    center.advance(2 * 3600)          # past retention.hours (72)
    center.worker.housekeeping()
    assert [r.spool_id for r in IncomingMail.select()] == [failed.spool_id]
