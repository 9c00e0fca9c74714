"""Issue 16, point 2: the status workflow, in-process on a real SQLite file with the frozen
clock.  An agent's public answer makes an item pending, whether posted in the panel, with
``appliance items reply`` or by mail; a customer's reply opens it again; internal notes,
automated messages and automated mail change nothing; a resolved item closes after
``workflow.close_resolved_days`` when the worker's scheduler sees the clock pass it; every
change is a ``status_changed`` event an automation fires on."""
from __future__ import annotations

import pytest
import test_message_center
from conftest import message
from test_message_center import ticket

from appliance.statuses import ItemStatus

center = test_message_center.center
BEN = "ben@client.example"
DAY = 86400


def status_of(item) -> str:
    from appliance.helpdesk.models import Item
    return Item.get_by_id(item.id).status


def changes(item) -> list[tuple[str, str, str]]:
    """(from, to, why) of the item's status events, oldest first."""
    from appliance.helpdesk.models import Event
    return [(e.detail["from"], e.detail["to"], e.detail["why"])
            for e in Event.select().where(Event.item == item.id,
                                          Event.kind == "status_changed").order_by(Event.id)]


@pytest.fixture
def desk(center):
    """The center with client.example and acme.example vouching for their mail (SPF), the
    auto-reply off, and Maria an agent assigned to Ben's new ticket."""
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import Automation
    from appliance.helpdesk.worker import Worker
    center.box.set_dns({"client.example": {"TXT": "v=spf1 ip4:192.0.2.7 -all"},
                        "acme.example": {"TXT": "v=spf1 ip4:192.0.2.7 -all"}})
    center.worker = Worker(center.cfg)
    Automation.update(enabled=False).execute()
    center.maria = center.user("maria@acme.example", "Maria")
    center.item = ticket(center, message_id="<w1@client.example>")
    conversation.update(center.item, assignee=center.maria)
    return center


def mail(center, sender: str, name: str, body: str, message_id: str, extra: str = ""):
    """``sender`` writes about the item by mail, its subject tag naming it."""
    raw = message(subject=f"Re: [#{center.item.id}] Printer broken", sender=sender,
                  body=body, message_id=message_id, extra=extra)
    center.receive(raw.replace(b"From: Ben Carter", f"From: {name}".encode(), 1),
                   sender=sender)


def test_an_agents_answer_in_the_panel_makes_the_item_pending(desk):
    from appliance.helpdesk import conversation
    item = desk.item
    assert status_of(item) == "open"
    conversation.post(item, desk.maria, "A technician comes on Thursday.")
    assert status_of(item) == "pending"
    assert changes(item) == [("open", "pending", "an agent answered")]
    conversation.post(item, desk.maria, "He brings a new drum.")   # pending stays pending
    assert changes(item) == [("open", "pending", "an agent answered")]


def test_an_agents_answer_from_the_command_line_makes_the_item_pending(desk):
    desk.box.cli("items", "reply", str(desk.item.id), "--author", "maria@acme.example",
                 "--body", "We ordered the part.")
    assert status_of(desk.item) == "pending"
    assert changes(desk.item) == [("open", "pending", "an agent answered")]


def test_an_agents_answer_by_mail_makes_the_item_pending(desk):
    from appliance.helpdesk.models import IncomingMail
    mail(desk, "maria@acme.example", "Maria", "The part is on its way.", "<m1@acme.example>")
    row = IncomingMail.get(IncomingMail.message_id == "<m1@acme.example>")
    assert (row.action, row.item_id) == ("appended", desk.item.id)
    assert status_of(desk.item) == "pending"
    assert changes(desk.item) == [("open", "pending", "an agent answered")]
    assert f"Item #{desk.item.id} status open -> pending: an agent answered." in row.reasons


def test_a_customers_reply_by_mail_opens_a_pending_item_again(desk):
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import IncomingMail
    conversation.post(desk.item, desk.maria, "Is it plugged in?")
    mail(desk, BEN, "Ben Carter", "Yes, it is.", "<w2@client.example>")
    assert status_of(desk.item) == "open"
    assert changes(desk.item)[-1] == ("pending", "open", "the customer replied")
    row = IncomingMail.get(IncomingMail.message_id == "<w2@client.example>")
    assert f"Item #{desk.item.id} status pending -> open: the customer replied." in row.reasons


@pytest.mark.parametrize("done", ["resolved", "closed"])
def test_a_customers_reply_reopens_a_resolved_or_closed_item(desk, done):
    from appliance.helpdesk import conversation
    conversation.update(desk.item, status=done, by=desk.maria)
    mail(desk, BEN, "Ben Carter", "It broke again.", "<w3@client.example>")
    assert status_of(desk.item) == "open"
    assert changes(desk.item) == [("open", done, "changed by hand"),
                                  (done, "open", "the customer replied")]


def test_an_agents_answer_leaves_a_resolved_item_resolved(desk):
    from appliance.helpdesk import conversation
    conversation.update(desk.item, status="resolved")
    conversation.post(desk.item, desk.maria, "Glad it works again.")
    assert status_of(desk.item) == "resolved"


def test_internal_notes_never_change_the_status(desk):
    from appliance.helpdesk import conversation
    item = desk.item
    for status in ("open", "pending", "resolved"):
        conversation.update(item, status=status)
        before = len(changes(item))
        conversation.post(item, desk.maria, f"Note while {status}.", internal=True)
        assert status_of(item) == status
        assert len(changes(item)) == before


def test_automated_mail_and_automated_messages_never_change_the_status(desk):
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import Automation
    conversation.post(desk.item, desk.maria, "Please try again.")
    mail(desk, BEN, "Ben Carter", "I am out of office until Monday.", "<w4@client.example>",
         extra="Auto-Submitted: auto-replied\r\n")
    assert status_of(desk.item) == "pending"
    # the auto-reply an automation posts on a new ticket leaves it open
    Automation.update(enabled=True).where(Automation.code == "A02").execute()
    fresh = ticket(desk, subject="Scanner", message_id="<w5@client.example>")
    assert [m.automation for m in fresh.messages if m.automation] == ["A02"]
    assert status_of(fresh) == "open" and changes(fresh) == []


def test_a_resolved_item_closes_after_the_set_days_when_the_clock_passes_them(desk):
    from appliance.helpdesk import conversation
    item = desk.item
    conversation.update(item, status="resolved", by=desk.maria)
    desk.advance(7 * DAY - 1)
    assert status_of(item) == "resolved"
    counts = desk.advance(1)
    assert counts["closed"] == 1
    assert status_of(item) == "closed"
    assert changes(item)[-1] == ("resolved", "closed", "resolved for 7 days")
    assert desk.advance(DAY)["closed"] == 0   # once


def test_the_close_after_days_setting_is_honoured(desk):
    from appliance.helpdesk import conversation
    from appliance.helpdesk.worker import Worker
    desk.box.cli("settings", "set", "workflow.close_resolved_days", "2")
    desk.worker = Worker(desk.cfg)   # a worker reads settings at most once a second
    conversation.update(desk.item, status="resolved")
    desk.advance(2 * DAY - 60)
    assert status_of(desk.item) == "resolved"
    desk.advance(61)
    assert changes(desk.item)[-1] == ("resolved", "closed", "resolved for 2 days")


def test_a_reply_before_the_days_pass_keeps_the_item_from_closing(desk):
    from appliance.helpdesk import conversation
    conversation.update(desk.item, status="resolved")
    desk.advance(3 * DAY)
    mail(desk, BEN, "Ben Carter", "Not fixed after all.", "<w6@client.example>")
    desk.advance(10 * DAY)
    assert status_of(desk.item) == "open"


def test_each_status_change_is_an_event_an_automation_fires_on(desk):
    """A status_changed automation on closed items fires for the scheduler's closing."""
    from appliance.helpdesk import automations, conversation
    from appliance.helpdesk.models import Automation, Message
    automations.save("A12", "Closed: leave a note", "status_changed",
                     {"status": [ItemStatus.CLOSED.value]},
                     [{"do": "post_message", "template": "auto_reply", "internal": True}])
    Automation.update(enabled=True).where(Automation.code == "A12").execute()
    conversation.post(desk.item, desk.maria, "Fixed.")     # pending: A12 does not match
    conversation.update(desk.item, status="resolved")
    desk.tick()
    assert not Message.select().where(Message.automation == "A12").exists()
    desk.advance(7 * DAY)      # closed now; the next tick looks at the event
    desk.tick()
    [note] = Message.select().where(Message.automation == "A12")
    assert note.item_id == desk.item.id and note.internal
    assert status_of(desk.item) == "closed"   # the internal note changed nothing


def test_an_automation_setting_the_status_starts_the_close_countdown(desk):
    """A status an automation sets goes through the workflow too (its event, its time)."""
    from appliance.helpdesk import automations
    from appliance.helpdesk.models import Automation
    automations.save("A12", "Customer replied: resolve (odd, but a test)", "customer_replied",
                     {}, [{"do": "set_field", "field": "status", "value": "resolved"}])
    Automation.update(enabled=True).where(Automation.code == "A12").execute()
    desk.advance(30 * DAY)     # long ago created: the countdown starts at the change
    mail(desk, BEN, "Ben Carter", "Thanks, all good.", "<w7@client.example>")
    assert status_of(desk.item) == "resolved"
    assert changes(desk.item)[-1] == ("open", "resolved", "automation A12")
    desk.advance(DAY)
    assert status_of(desk.item) == "resolved"
    desk.advance(6 * DAY)
    assert status_of(desk.item) == "closed"
