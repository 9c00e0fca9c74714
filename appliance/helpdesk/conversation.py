"""Posting into an item's conversation: the message and the mail it causes commit
together."""
from __future__ import annotations

from appliance import clock
from appliance.helpdesk.mailer import Mailer, mail_posted_message
from appliance.helpdesk.models import Item, Message, OutgoingMail, Person, db


def post(mailer: Mailer, item: Item, author: Person | None, body: str,
         internal: bool = False) -> tuple[Message, list[OutgoingMail]]:
    with db.atomic():
        message = Message.create(item=item, author=author, body=body, internal=internal,
                                 created_at=clock.now())
        item.updated_at = clock.now()
        item.save()
        mails = mail_posted_message(mailer, message)
    return message, mails
