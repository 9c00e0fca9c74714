"""Which item a message belongs to, in a way that cannot be forged.

Mail names an item in one of three ways: by one of our own Message-IDs in In-Reply-To or
References (128 random bits: only the mailbox we sent it to knows it), by the Message-ID of a
message already in a conversation (seen by everyone in its To/Cc), or by a subject tag
``[#N]`` (item numbers are sequential: anyone can guess one).  None of them alone lets mail
into a conversation.  It appends to item N only when the sender follows N and either the
From domain vouches for the mail (an aligned DKIM or SPF pass, :meth:`AuthResults.vouches_for`)
or it names one of our Message-IDs.  Otherwise the mail becomes a new item that "may belong
to #N", for an agent to decide.  Every outcome says why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from peewee import fn

from appliance import mailids
from appliance.helpdesk.models import Follower, Item, Message, OutgoingMail, Person

TAG = re.compile(r"\[#(\d{1,12})\]")

OUR_ID, THEIR_ID, TAG_HINT = "our Message-ID", "a Message-ID of its conversation", "subject tag"


@dataclass
class Sender:
    """Who the mail says it is from, and whether its domain vouches for it."""
    email: str | None
    verified: bool = False
    why: str = ""              # the authentication verdict, in words
    dmarc_failed: bool = False


@dataclass
class Thread:
    item: Item | None           # append the mail to this item
    reason: str
    linked: Item | None = None  # else: a new item that may belong to this one
    verified: bool = False      # the append is backed by authentication (may add followers)


def subject_tag(subject: str) -> int | None:
    match = TAG.search(subject or "")
    return int(match.group(1)) if match else None


def by_message_ids(ids: list[str]) -> tuple[Item | None, str]:
    """The item named by the newest of ``ids`` (References are oldest first) and how: mail
    the box sent about it (our Message-ID), else a message of its conversation."""
    for message_id in reversed(ids):
        if mailids.is_own_message_id(message_id):
            sent = OutgoingMail.get_or_none(OutgoingMail.message_id == message_id)
            if sent is not None and sent.item_id is not None:
                return sent.item, OUR_ID
    for message_id in reversed(ids):
        found = (Message.select(Message.item).where(Message.message_id == message_id)
                 .order_by(Message.id).first())
        if found:
            return found.item, THEIR_ID
    return None, ""


def follows(item: Item, email: str | None) -> bool:
    if not email:
        return False
    return (Follower.select().join(Person)
            .where(Follower.item == item, fn.LOWER(Person.email) == email.lower()).exists())


def find(in_reply_to: list[str], references: list[str], subject: str,
         sender: Sender) -> Thread:
    ids = references + [i for i in in_reply_to if i not in references]
    item, how = by_message_ids(ids)
    if item is None:
        number = subject_tag(subject)
        if number is None:
            return Thread(None, "")
        item, how = Item.get_or_none(Item.id == number), TAG_HINT
        if item is None:
            return Thread(None, f"Subject tag [#{number}] names no item: a new item is "
                                f"created.")
    named = (f"subject tag [#{item.id}]" if how == TAG_HINT
             else f"In-Reply-To/References name {how} of item #{item.id}")
    who = sender.email or "the sender"
    if sender.dmarc_failed:
        return _linked(item, f"{named}, but the From address failed DMARC, so it cannot "
                             f"append to an existing item")
    if not follows(item, sender.email):
        return _linked(item, f"{named}, but {who} does not follow item #{item.id}")
    if sender.verified:
        return Thread(item, f"Threaded into item #{item.id}: {named}, {who} follows it and "
                            f"the sender is authenticated ({sender.why}).", verified=True)
    if how == OUR_ID:
        return Thread(item, f"Threaded into item #{item.id}: {named} (which only the mail "
                            f"we sent holds) and {who} follows it; the sender is not "
                            f"authenticated ({sender.why}), so its To/Cc are not added as "
                            f"followers.")
    return _linked(item, f"{named} and {who} follows it, but the sender is not "
                         f"authenticated ({sender.why}) and the mail names none of our "
                         f"Message-IDs")


def _linked(item: Item, why: str) -> Thread:
    """Not appended: a new item (if one is made) may belong to ``item``."""
    return Thread(None, f"Not threaded into item #{item.id}: {why}.", linked=item)
