"""Which item a message belongs to.

Our own Message-IDs and the ids of messages already in a conversation thread reliably.  A
subject tag ``[#N]`` is only a hint: it appends to item N when the sender already follows
it and the From passed DMARC, so guessing numbers cannot hijack a ticket.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import fn

from appliance.helpdesk.models import Follower, Item, Message, OutgoingMail, Person

TAG = re.compile(r"\[#(\d{1,12})\]")


@dataclass
class Thread:
    item: Item | None
    reason: str


def subject_tag(subject: str) -> int | None:
    match = TAG.search(subject or "")
    return int(match.group(1)) if match else None


def by_message_ids(ids: list[str]) -> Item | None:
    """The item holding the newest of ``ids`` (References are oldest first): a message of
    its conversation, or mail the box sent about it."""
    for message_id in reversed(ids):
        found = (Message.select(Message.item).where(Message.message_id == message_id)
                 .order_by(Message.id).first())
        if found:
            return found.item
        sent = OutgoingMail.get_or_none(OutgoingMail.message_id == message_id)
        if sent is not None and sent.item_id is not None:
            return sent.item
    return None


def find(in_reply_to: list[str], references: list[str], subject: str,
         sender_email: str | None, dmarc_failed: bool = False) -> Thread:
    ids = references + [i for i in in_reply_to if i not in references]
    item = by_message_ids(ids)
    if item:
        return Thread(item, f"Threaded into item #{item.id}: In-Reply-To/References names "
                            f"a message of its conversation.")
    number = subject_tag(subject)
    if number is None:
        return Thread(None, "")
    item = Item.get_or_none(Item.id == number)
    if item is None:
        return Thread(None, f"Subject tag [#{number}] names no item: a new item is created.")
    if dmarc_failed:
        return Thread(None, f"Subject tag [#{number}] ignored: the From address failed DMARC, "
                            f"so it cannot append to an existing item.")
    follows = (Follower.select().join(Person)
               .where(Follower.item == item, fn.LOWER(Person.email) == sender_email.lower())
               .exists()) if sender_email else False
    if not follows:
        return Thread(None, f"Subject tag [#{number}] ignored: {sender_email or 'the sender'} "
                            f"does not follow item #{number}, so a new item is created.")
    return Thread(item, f"Threaded into item #{item.id}: subject tag [#{number}] and the "
                        f"sender follows it.")
