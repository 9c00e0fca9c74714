"""``appliance ingest``: pipe delivery (Postfix ``pipe``, Exim) into the same spool, with
sysexits codes the calling MTA understands: 0 accepted, 67 unknown recipient, 65 unusable
message, 75 try again later."""
from __future__ import annotations

import sys

from appliance.commands.common import EX_DATAERR, EX_NOUSER, EX_TEMPFAIL, add_config
from appliance.errors import CommandError


def register(sub) -> None:
    p = sub.add_parser("ingest", help="accept one message on stdin (pipe delivery)")
    add_config(p)
    p.add_argument("--rcpt", action="append", required=True, help="envelope recipient")
    p.add_argument("--mail-from", default="", help="envelope sender")
    p.set_defaults(func=cmd_ingest, config_error_code=EX_TEMPFAIL)


def to_crlf(data: bytes) -> bytes:
    """Pipe transports hand over LF line ends; the spool keeps what SMTP would have."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def cmd_ingest(args) -> int:
    from appliance import captures, config
    from appliance.mta import policy
    from appliance.mta.spool import Envelope, Spool
    cfg = config.load(args.config)
    known = set(captures.CaptureList(cfg.data_dir).current())
    accepted = []
    for rcpt in args.rcpt:
        verdict = policy.check_recipient(f"<{rcpt}>", cfg.domain, known, len(accepted),
                                         cfg.getint("smtp.max_recipients"))
        if not verdict.ok:
            code = EX_TEMPFAIL if not verdict.permanent else EX_NOUSER
            raise CommandError(f"{rcpt}: {verdict.reply}", code)
        accepted.append(verdict.address)
    data = sys.stdin.buffer.read()
    if not data.strip():
        raise CommandError("empty message on stdin", EX_DATAERR)
    if len(data) > cfg.getint("smtp.max_message_bytes"):
        raise CommandError(f"message of {len(data)} bytes exceeds smtp.max_message_bytes",
                           EX_DATAERR)
    try:
        entry_id = Spool(cfg.spool_dir).ensure().write(
            Envelope(mail_from=args.mail_from, rcpt_tos=accepted, via="ingest"), to_crlf(data))
    except OSError as exc:
        raise CommandError(f"cannot write to the spool: {exc}", EX_TEMPFAIL) from None
    print(f"queued as {entry_id}", file=sys.stderr)
    return 0
