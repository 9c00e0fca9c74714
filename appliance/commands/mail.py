"""``appliance mail``: the incoming log, and retry of failed entries."""
from __future__ import annotations

from appliance.commands.common import add_config, add_json, emit, open_db
from appliance.errors import CommandError
from appliance.statuses import IncomingAction


def register(sub) -> None:
    mail = sub.add_parser("mail", help="mail logs").add_subparsers(dest="log", metavar="LOG")
    mail.required = True
    p = mail.add_parser("incoming", help="the incoming mail log, newest first")
    add_config(p)
    add_json(p)
    p.add_argument("--search", help="words of the subject, sender or Message-ID (the panel's "
                                    "search), or #N for item N")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("id", nargs="?", type=int, help="one entry, with its details")
    p.add_argument("--raw", action="store_true",
                   help="with ID: print the stored message (Authentication-Results first)")
    p.set_defaults(func=cmd_incoming)
    p = mail.add_parser("outgoing", help="the outgoing mail log, newest first")
    add_config(p)
    add_json(p)
    p.add_argument("--search", help="words of the subject or recipients (the panel's search), "
                                    "or #N for item N")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("id", nargs="?", type=int, help="one message: as sent, with its events")
    p.set_defaults(func=cmd_outgoing)
    p = mail.add_parser("retry", help="process failed incoming entries again")
    add_config(p)
    p.add_argument("ids", nargs="*", help="incoming log ids (default: every failed entry)")
    p.set_defaults(func=cmd_retry)


def cmd_incoming(args) -> int:
    import sys

    from appliance.helpdesk import lists
    from appliance.helpdesk.models import IncomingMail
    from appliance.helpdesk.views import incoming_json, stored_message
    cfg = open_db(args)
    if args.id is not None:
        row = IncomingMail.get_or_none(IncomingMail.id == args.id)
        if row is None:
            raise CommandError(f"no incoming log entry {args.id}")
        if args.raw:
            raw = stored_message(row, cfg.spool_dir)
            if raw is None:
                raise CommandError(f"the message of entry {args.id} is no longer stored "
                                   f"(kept for retention.hours after processing)")
            sys.stdout.buffer.write(raw)
            return 0
        emit(incoming_json(row), True)
        return 0
    docs = [incoming_json(r) for r in lists.incoming(args.search or "", limit=args.limit)]
    lines = [f"{d['id']:<6} {d['received_at']} {d['action']:<8} "
             f"{'#' + str(d['item_id']) if d['item_id'] else '-':<6} "
             f"{(d['from'] or {}).get('email') or d['mail_from'] or '-':<30} {d['subject']}"
             for d in docs]
    emit(docs, args.json, "\n".join(lines) or "no incoming mail")
    return 0


def cmd_outgoing(args) -> int:
    from appliance.helpdesk import lists
    from appliance.outbound.models import OutgoingMail
    from appliance.helpdesk.views import outgoing_json
    open_db(args)
    if args.id is not None:
        mail = OutgoingMail.get_or_none(OutgoingMail.id == args.id)
        if mail is None:
            raise CommandError(f"no outgoing message {args.id}")
        doc = outgoing_json(mail, full=True)
        text = [f"#{doc['id']} {doc['status']} to {', '.join(doc['to'])}: {doc['subject']}"]
        text += [f"  {e['at']} {e['event']}: {e['detail']}" for e in doc["events"]]
        emit(doc, args.json, "\n".join(text))
        return 0
    docs = [outgoing_json(m) for m in lists.outgoing(args.search or "", limit=args.limit)]
    lines = [f"{d['id']:<6} {d['created_at']} {d['status']:<10} "
             f"{'#' + str(d['item_id']) if d['item_id'] else '-':<6} "
             f"{', '.join(d['to']):<30} {d['subject']}"
             + (f"  ({d['reason']})" if d.get("reason") else "") for d in docs]
    emit(docs, args.json, "\n".join(lines) or "no outgoing mail")
    return 0


def cmd_retry(args) -> int:
    from appliance.helpdesk.models import IncomingMail
    from appliance.mta.spool import Spool
    cfg = open_db(args)
    rows = IncomingMail.select().where(IncomingMail.action == IncomingAction.FAILED)
    if args.ids:
        rows = rows.where(IncomingMail.id.in_([int(i) for i in args.ids]))
    spool = Spool(cfg.spool_dir)
    moved = 0
    for row in rows:
        try:
            spool.retry(row.spool_id)
            moved += 1
        except FileNotFoundError:
            print(f"entry {row.id}: spool file {row.spool_id} is no longer in failed/")
    if args.ids and not moved:
        raise CommandError("nothing to retry: no failed entry with those ids")
    print(f"{moved} entr{'y' if moved == 1 else 'ies'} queued again for the worker")
    return 0
