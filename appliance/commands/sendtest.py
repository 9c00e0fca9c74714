"""``appliance send-test``: a test mail into the box's own MTA, and what became of it.

The demo's and the install guide's "does it work?" step, with nothing to install: it
speaks SMTP to ``smtp.listen`` as a customer would, then waits for the worker to file the
mail and says which item it became (or why not)."""
from __future__ import annotations

import smtplib
import time
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from appliance.commands.common import add_config, open_db
from appliance.errors import CommandError


def register(sub) -> None:
    p = sub.add_parser("send-test", help="send a test mail to the box and show the item it "
                                         "becomes")
    add_config(p)
    p.add_argument("--to", help="a capture address (default: tickets@ the box's domain)")
    p.add_argument("--from", dest="sender", default="customer@example.org",
                   help="the customer it comes from (default customer@example.org)")
    p.add_argument("--subject", default="Test mail from appliance send-test")
    p.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for the worker to file it (0: do not wait)")
    p.set_defaults(func=cmd_send_test)


def cmd_send_test(args) -> int:
    cfg = open_db(args)
    host, port = cfg.connect_to("smtp.listen")
    to = args.to or f"tickets@{cfg.domain}"
    msg = EmailMessage()
    msg["From"] = f"Test Customer <{args.sender}>"
    msg["To"] = to
    msg["Subject"] = args.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="send-test.invalid")
    msg.set_content("This is a test mail sent by `appliance send-test`.\n"
                    "If it shows up as an item in the panel, mail gets in.\n")
    try:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            smtp.ehlo("send-test.invalid")
            smtp.mail(args.sender)
            code, reply = smtp.rcpt(to)
            if code != 250:
                raise CommandError(f"the MTA refused {to}: {code} {reply.decode()}")
            code, reply = smtp.data(msg.as_bytes(policy=policy.SMTP))
    except (OSError, smtplib.SMTPException) as exc:
        raise CommandError(f"could not send through the MTA at {host}:{port} ({exc}); is "
                           f"it running? (appliance run -c {cfg.path.resolve()})") from None
    text = reply.decode(errors="replace")
    if code != 250:
        raise CommandError(f"the MTA refused the message: {code} {text}")
    spool_id = text.rsplit(" ", 1)[-1]
    print(f"sent {msg['Message-ID']} from {args.sender} to {to} through {host}:{port}: "
          f"{code} {text}", flush=True)
    if args.wait <= 0:
        return 0
    return _report(spool_id, args.wait, cfg)


def _report(spool_id: str, wait: float, cfg) -> int:
    from appliance.helpdesk.models import IncomingMail
    deadline = time.monotonic() + wait
    while True:
        row = IncomingMail.get_or_none(IncomingMail.spool_id == spool_id)
        if row is not None and row.action:
            break
        if time.monotonic() >= deadline:
            raise CommandError(f"accepted as {spool_id}, but the worker has not filed it "
                               f"after {wait:.0f} s: is the worker running? "
                               f"(appliance run -c {cfg.path.resolve()})")
        time.sleep(0.2)
    where = f"item #{row.item_id}" if row.item_id else "no item"
    print(f"the worker filed it: {row.action}, {where}")
    if row.item_id:
        print(f"see it: {cfg.public_url.rstrip('/')}/items/{row.item_id}")
    return 0 if row.action in ("created", "appended") else 1
