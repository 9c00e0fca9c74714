"""The SMTP server: aiosmtpd protocol with the appliance's policy.

Protocol (aiosmtpd), policy (:mod:`appliance.mta.policy`) and storage
(:mod:`appliance.mta.spool`) are kept apart; this module only wires them.  No database
work happens here: the answer to DATA depends on the spool write alone.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import SMTP, Envelope, Session

from appliance.captures import CaptureList
from appliance.config import Config
from appliance.mailids import header_message_id
from appliance.mta import policy
from appliance.mta.spool import Envelope as SpoolEnvelope
from appliance.mta.spool import Spool

log = logging.getLogger("appliance.mta")

BARE_NEWLINE = ("550 5.6.0 Message refused: bare CR or LF line ending; "
                "lines must end with CRLF (RFC 5321 2.3.8)")
TOO_BIG = "552 5.3.4 Message too big: the limit is {limit} bytes"
NO_SPACE = "452 4.3.1 Insufficient system storage, try again later"
LOCAL_ERROR = "451 4.3.0 Temporary local problem, try again later"
# aiosmtpd's stock replies that lack the enhanced status code the RFCs ask for.
_STOCK = {
    "552 Error: Too much mail data": TOO_BIG,
    "552 Error: message size exceeds fixed maximum message size": TOO_BIG,
}
STOP_GRACE = 10.0  # seconds open sessions get to finish after SIGTERM
# The common MAIL/RCPT argument: <dot-atom@host.name> then parameters.  aiosmtpd hands
# every argument to the email header parser (and defines a class per call); for this
# shape that parser's answer is the text between the brackets, so it is taken directly.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


def has_bare_newline(data: bytes) -> bool:
    crlf = data.count(b"\r\n")
    return data.count(b"\n") != crlf or data.count(b"\r") != crlf


class ApplianceSMTP(SMTP):
    """aiosmtpd's SMTP with the RCPT argument checked before aiosmtpd parses it (its
    parser would quietly drop a source route) and RFC 3463 codes on its stock replies."""

    # RFC 5321 allows 1000 octets per line, but real mail from careless software has longer
    # lines; refusing them would lose customers' mail (Postfix accepts them too).  Commands
    # keep aiosmtpd's own 512-octet limit.
    line_length_limit = 65536

    size_limit_text = ""
    open_sessions: set | None = None  # set by serve(): the connections it must drain

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if self.open_sessions is not None:
            self.open_sessions.add(self)

    def connection_lost(self, exc) -> None:
        if self.open_sessions is not None:
            self.open_sessions.discard(self)
        super().connection_lost(exc)

    async def push(self, status: str) -> None:
        for stock, ours in _STOCK.items():
            if status.startswith(stock):
                status = ours.format(limit=self.data_size_limit)
        await super().push(status)

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        match = _PLAIN_PATH.match(arg) if arg else None
        rest = arg[match.end():].lstrip(" \t") if match else ""
        if match is None or rest.startswith("("):  # comments: leave them to the parser
            return super()._getaddr(arg)
        address = match.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    async def smtp_RCPT(self, arg: str) -> None:
        if arg and self.envelope is not None and self.envelope.mail_from is not None:
            address = arg[3:] if arg[:3].upper() == "TO:" else ""
            address = address.split(">", 1)[0] + ">" if ">" in address else address
            why = policy.check_syntax(address) if address.strip().startswith("<") else None
            if why:
                await self.push(policy.BAD_ADDRESS.format(why=why))
                return
        await super().smtp_RCPT(arg)


class Handler:
    """aiosmtpd hooks: RCPT policy and durable DATA."""

    def __init__(self, cfg: Config, spool: Spool, captures: CaptureList,
                 executor: ThreadPoolExecutor) -> None:
        self.domain = cfg.domain
        self.max_recipients = cfg.getint("smtp.max_recipients")
        self.spool = spool
        self.captures = captures
        self.executor = executor

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        verdict = policy.check_recipient(address, self.domain, set(self.captures.current()),
                                         len(envelope.rcpt_tos), self.max_recipients)
        if verdict.ok:
            envelope.rcpt_tos.append(verdict.address)
        else:
            log.info("rcpt refused peer=%s rcpt=<%s> reply=%r", session.peer[0], address,
                     verdict.reply)
        return verdict.reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data: bytes = envelope.original_content or b""
        if has_bare_newline(data):
            log.info("data refused peer=%s: bare newline", session.peer[0])
            return BARE_NEWLINE
        spool_env = SpoolEnvelope(
            mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
            peer=session.peer[0] if session.peer else None, helo=session.host_name,
            tls=session.ssl is not None)
        loop = asyncio.get_running_loop()
        try:
            entry_id = await loop.run_in_executor(self.executor, self.spool.write,
                                                  spool_env, data)
        except OSError as exc:
            log.error("spool write failed: %s", exc)
            return NO_SPACE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else LOCAL_ERROR
        log.info("accepted spool=%s from=<%s> rcpts=%s size=%d message-id=%s", entry_id,
                 spool_env.mail_from, ",".join(spool_env.rcpt_tos), len(data),
                 header_message_id(data) or "-")
        return f"250 2.0.0 Ok: queued as {entry_id}"


def tls_context(cfg: Config) -> ssl.SSLContext | None:
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cfg.get("smtp.tls_cert"), cfg.get("smtp.tls_key"))
        return context
    except (OSError, ssl.SSLError) as exc:
        log.warning("STARTTLS disabled: cannot load certificate: %s", exc)
        return None


def listening_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def serve(cfg: Config, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve SMTP on ``sock`` until ``stop`` is set, then finish open transactions."""
    spool = Spool(cfg.spool_dir).ensure()
    executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="spool")
    handler = Handler(cfg, spool, CaptureList(cfg.data_dir), executor)
    context = tls_context(cfg)
    limit = cfg.getint("smtp.max_message_bytes")
    hostname = cfg.get("smtp.hostname")

    open_sessions: set = set()

    def factory() -> SMTP:
        smtp = ApplianceSMTP(handler, data_size_limit=limit, enable_SMTPUTF8=True,
                             decode_data=False, hostname=hostname, ident="appliance ESMTP",
                             tls_context=context, require_starttls=False,
                             auth_exclude_mechanism=["LOGIN", "PLAIN"])
        smtp.open_sessions = open_sessions
        return smtp

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=sock)
    await stop.wait()
    server.close()
    # Sessions in the middle of a transaction get STOP_GRACE seconds to finish it (and
    # receive their 250) before the loop ends and cancels whatever is left.
    deadline = loop.time() + STOP_GRACE
    while open_sessions and loop.time() < deadline:
        await asyncio.sleep(0.05)
    await server.wait_closed()
    executor.shutdown(wait=True)
