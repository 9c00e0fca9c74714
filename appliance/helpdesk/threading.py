"""Which item a message belongs to, in a way that cannot be forged.

Mail names an item in one of three ways: by one of our own Message-IDs in In-Reply-To or
References (128 random bits: only the mailbox we sent it to knows it), by the Message-ID of a
message already in a conversation (seen by everyone in its To/Cc), or by a subject tag
``[#N]`` (item numbers are sequential: anyone can guess one).  None of them alone lets mail
into a conversation.  It appends to item N only when the sender follows N and either the
From domain vouches for the mail (an aligned DKIM or SPF pass, :meth:`AuthResults.vouches_for`)
or it names one of our Message-IDs.  Otherwise the mail becomes a new item that "may belong
to #N", for an agent to decide.  Every outcome says why.

A reply to staff-only mail (the mail it answers, its In-Reply-To, carries our staff mark:
:mod:`appliance.mailids`) is filed as an internal note, whatever else it says, so a word
meant for colleagues never reaches the customer.  The agent or admin it was sent to may
answer it without following the item.
"""
from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from appliance import mailids
from appliance.helpdesk.models import Follower, Item, Message, Person
from appliance.helpdesk.subjects import TAG
from appliance.outbound.models import OutgoingMail

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
    internal: bool = False      # a reply to staff-only mail: filed as an internal note


def subject_tag(subject: str) -> int | None:
    match = TAG.search(subject or "")
    return int(match.group(1)) if match else None


def by_message_ids(ids: list[str]) -> tuple[Item | None, str, OutgoingMail | None]:
    """The item named by the newest of ``ids`` (References are oldest first), how (mail
    the box sent about it: our Message-ID, else a message of its conversation) and that
    mail of ours."""
    for message_id in reversed(ids):
        if mailids.is_own_message_id(message_id):
            sent = OutgoingMail.get_or_none(OutgoingMail.message_id == message_id)
            if sent is not None and sent.item_id is not None:
                return sent.item, OUR_ID, sent
    for message_id in reversed(ids):
        found = (Message.select(Message.item).where(Message.message_id == message_id)
                 .order_by(Message.id).first())
        if found:
            return found.item, THEIR_ID, None
    return None, "", None


def answers_staff_mail(in_reply_to: list[str], references: list[str]) -> bool:
    """The mail answers staff-only mail of ours: its In-Reply-To names one (without
    In-Reply-To, the newest of References does).  Older References do not count: the
    customer-facing relay an agent answers lists the staff-only mail they got before."""
    direct = in_reply_to or references[-1:]
    return any(mailids.is_staff_message_id(m) for m in direct)


def was_sent_to(mail: OutgoingMail | None, email: str | None) -> bool:
    if mail is None or not email:
        return False
    from appliance.outbound.models import OutgoingRecipient
    return (OutgoingRecipient.select().where(OutgoingRecipient.mail == mail,
                                             fn.LOWER(OutgoingRecipient.email) == email.lower())
            .exists())


def follows(item: Item, email: str | None) -> bool:
    if not email:
        return False
    return (Follower.select().join(Person)
            .where(Follower.item == item, fn.LOWER(Person.email) == email.lower()).exists())


def find(in_reply_to: list[str], references: list[str], subject: str,
         sender: Sender) -> Thread:
    ids = references + [i for i in in_reply_to if i not in references]
    item, how, ours = by_message_ids(ids)
    staff = answers_staff_mail(in_reply_to, references)
    thread = _find(item, how, ours, subject, sender, staff)
    if staff and thread.item is not None:
        thread.internal = True
        thread.reason += (" It answers staff-only mail, so it is filed as an internal note "
                          "(the customer never sees it).")
    return thread


def _find(item: Item | None, how: str, ours: OutgoingMail | None, subject: str,
          sender: Sender, staff: bool) -> Thread:
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
    # staff-only mail goes to agents and admins who need not follow: its recipient may
    # answer it (as an internal note)
    standing = "follows it"
    if not follows(item, sender.email):
        if not (staff and was_sent_to(ours, sender.email)):
            return _linked(item, f"{named}, but {who} does not follow item #{item.id}")
        standing = "was sent that staff-only email"
    if sender.verified:
        return Thread(item, f"Threaded into item #{item.id}: {named}, {who} {standing} and "
                            f"the sender is authenticated ({sender.why}).", verified=True)
    if how == OUR_ID:
        return Thread(item, f"Threaded into item #{item.id}: {named} (which only the mail "
                            f"we sent holds) and {who} {standing}; the sender is not "
                            f"authenticated ({sender.why}), so its To/Cc are not added as "
                            f"followers.")
    return _linked(item, f"{named} and {who} follows it, but the sender is not "
                         f"authenticated ({sender.why}) and the mail names none of our "
                         f"Message-IDs")


def _linked(item: Item, why: str) -> Thread:
    """Not appended: a new item (if one is made) may belong to ``item``."""
    return Thread(None, f"Not threaded into item #{item.id}: {why}.", linked=item)
