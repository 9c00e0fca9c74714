"""Sending mail about items: render with the admin's appearance, compose, sign (last),
queue.  The one path every email of the appliance takes into the outgoing queue: the
helpdesk (automations, relay, postmaster, accounts) hands it a person and a template."""
from __future__ import annotations

import time

from typing import Any, Callable, Sequence

from appliance import mailids
from appliance.config import Config
from appliance.helpdesk import settingstore, statements
from appliance.helpdesk.context import is_user
from appliance.helpdesk.models import Item, Message, Person
from appliance.helpdesk.sandbox import budget
from appliance.helpdesk.subjects import tagged
from appliance.outbound import queue
from appliance.outbound.compose import File, Outgoing, compose
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.outbound.render import Appearance, RenderError, render_email, render_part
from appliance.outbound.settings import OutboundSettings
from appliance.outbound.sign import Signer


# the Message-IDs of an item's conversation: what came in, what went to one recipient
_INCOMING_IDS = statements.Query(lambda item: (
    Message.select(Message.created_at, Message.message_id)
    .where(Message.item == item, Message.message_id.is_null(False))
    .order_by(Message.id.desc()).limit(20)), 1)
_SENT_IDS = statements.Query(lambda item, recipient: (
    OutgoingMail.select(OutgoingMail.created_at, OutgoingMail.message_id)
    .join(OutgoingRecipient)
    .where(OutgoingMail.item == item, OutgoingRecipient.email == recipient)
    .order_by(OutgoingMail.id.desc()).limit(20)), 2)


class Mailer:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.domain = cfg.domain
        self._signers: dict[tuple[str, bool], Signer] = {}
        self._read: dict[str | None, tuple[float, Any]] = {}

    def _fresh(self, key: str | None, load: Callable[[], Any]) -> Any:
        """``load()``, read at most once a second per key: a run of mail asks the same
        few settings for every message."""
        now = time.monotonic()
        cached = self._read.get(key)
        if cached is None or now - cached[0] > 1.0:
            cached = self._read[key] = (now, load())
        return cached[1]

    def outbound(self) -> OutboundSettings:
        """The outgoing settings (from address, DKIM, appearance) as one typed value."""
        return self._fresh(None, lambda: OutboundSettings.load(self.cfg))

    def setting(self, key: str) -> Any:
        """Any setting's current value, typed (:func:`settingstore.value`), for the
        automations that send through this mailer."""
        return self._fresh(key, lambda: settingstore.value(key, self.domain))

    def appearance(self) -> Appearance:
        return self.outbound().appearance

    def signer(self, from_address: str) -> Signer:
        ed25519 = self.outbound().ed25519
        key = (from_address.rsplit("@", 1)[-1].lower(), ed25519)
        if key not in self._signers:
            self._signers[key] = Signer.from_config(self.cfg, from_address, ed25519)
        return self._signers[key]

    def thread_ids(self, item: Item, recipient: str) -> list[str]:
        """Message-IDs of the item's conversation as ``recipient`` knows it, oldest first:
        the mail that came in and what the box sent to them."""
        incoming = _INCOMING_IDS.rows(item.id)
        sent = _SENT_IDS.rows(item.id, recipient)
        ids = [(m.created_at, m.message_id) for m in incoming] + \
            [(o.created_at, o.message_id) for o in sent]
        return [mid for _, mid in sorted(ids, key=lambda pair: pair[0])][-20:]

    def send(self, *, to: Person, subject_source: str, body_source: str, context: dict,
             kind: str, item: Item | None = None, author: Person | None = None,
             conversation_message: Message | None = None,
             auto_submitted: str | None = None, audience: str | None = None,
             files: Sequence[File] = ()) -> OutgoingMail:
        """Render, compose, sign and queue one email to one person (in the caller's
        transaction), with ``files`` attached.  ``audience`` (:data:`mailids.STAFF` or
        ``CUSTOMER``) goes into its Message-ID and decides what a reply to it becomes; by
        default mail to an agent or admin is staff-only, mail to anyone else
        customer-facing."""
        appearance = self.appearance()
        to_user = is_user(to)
        if audience is None:
            audience = mailids.STAFF if to_user else mailids.CUSTOMER
        footer = "staff" if audience == mailids.STAFF else "public" if to_user else "customer"
        rendered = render_email(subject_source, body_source, context, appearance, footer)
        # The From name is ours: an agent's name, else the company's; never a name that
        # came in with mail (anyone can put "Your bank" there and have us sign it).
        agent = author if author is not None and is_user(author) else None
        from_address = self.outbound().from_address
        message_id = mailids.make_message_id(self.domain, item.id if item else None,
                                             audience)
        refs = self.thread_ids(item, to.email) if item else []
        out = Outgoing(
            from_address=from_address, from_name=appearance.from_name(
                agent.name or agent.email.split("@")[0] if agent else None),
            to=[(to.name, to.email)], subject=rendered.subject, text=rendered.text,
            html=rendered.html, message_id=message_id, domain=self.domain,
            reply_to=f"{item.type.capture_local}@{self.domain}" if item else None,
            in_reply_to=refs[-1] if refs else None, references=refs,
            auto_submitted=auto_submitted, files=list(files))
        signer = self.signer(from_address)
        signed = signer.sign(compose(out))
        return queue.enqueue(signed, mail_from=from_address, recipients=[to.email],
                             subject=rendered.subject, message_id=message_id, kind=kind,
                             item=item, conversation_message=conversation_message,
                             signed_detail=describe(signer))

    def suppress(self, *, to: Person, subject_source: str, context: dict, kind: str,
                 reason: str, item: Item | None = None) -> OutgoingMail:
        """Record automated mail auto-reply protection keeps back (status ``suppressed``
        with ``reason`` in the outgoing log) instead of sending it."""
        try:
            with budget(context):
                subject = " ".join(render_part("subject", subject_source, context).split())
        except RenderError:
            subject = f"[#{item.id}] {item.title}" if item else subject_source
        if item is not None:
            subject = tagged(item.id, subject)
        return queue.suppress(
            mail_from=self.outbound().from_address, recipients=[to.email],
            subject=subject, kind=kind, item=item, reason=reason,
            message_id=mailids.make_message_id(self.domain, item.id if item else None))

    def send_report(self, *, to: list[Person], subject: str, text: str, kind: str,
                    attached_message: bytes | None = None) -> OutgoingMail:
        """Compose, sign and queue one plain-text email of the box itself (no template, no
        item) to ``to``, with a received message attached as it came (in the caller's
        transaction); automated (``Auto-Submitted: auto-generated``)."""
        from_address = self.outbound().from_address
        message_id = mailids.make_message_id(self.domain, audience=mailids.STAFF)
        out = Outgoing(
            from_address=from_address, from_name=self.appearance().from_name(None),
            to=[(p.name, p.email) for p in to], subject=subject, text=text,
            message_id=message_id, domain=self.domain, auto_submitted="auto-generated",
            attached_message=attached_message)
        signer = self.signer(from_address)
        signed = signer.sign(compose(out))
        return queue.enqueue(signed, mail_from=from_address,
                             recipients=[p.email for p in to], subject=subject,
                             message_id=message_id, kind=kind, signed_detail=describe(signer))


def describe(signer: Signer) -> str:
    """What the "signed" event of the outgoing log says."""
    text = f"DKIM rsa-sha256 d={signer.domain} s={signer.selector}"
    if signer.ed25519_key:
        text += f"; ed25519-sha256 s={signer.ed25519_selector}"
    return text
