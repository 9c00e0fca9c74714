"""The SMTP server: aiosmtpd protocol with the appliance's policy.

Protocol (aiosmtpd), policy (:mod:`appliance.mta.policy`) and storage
(:mod:`appliance.mta.spool`) are kept apart; this module only wires them.  No database
work happens here: the answer to DATA depends on the spool write alone.  DATA is read here
rather than by aiosmtpd (which keeps a whole message in memory) and streamed to the spool's
temporary file as it arrives, so a session holds at most :data:`CHUNK` bytes of it.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import functools
import logging
import re
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import SMTP, Envelope, Session

from appliance.captures import CaptureList
from appliance.config import Config, ConfigError
from appliance.mailids import header_message_id
from appliance.mta import policy
from appliance.mta.commandreader import CommandReader
from appliance.mta.connections import ConnectionLimits
from appliance.mta.dataread import TOO_MUCH_DATA, read_data
from appliance.mta.spool import Envelope as SpoolEnvelope
from appliance.mta.spool import GroupCommit, Spool, SpoolFile

log = logging.getLogger("appliance.mta")

BARE_NEWLINE = ("550 5.6.0 Message refused: bare CR or LF line ending; "
                "lines must end with CRLF (RFC 5321 2.3.8)")
TOO_BIG = "552 5.3.4 Message too big: the limit is {limit} bytes"
NO_SPACE = "452 4.3.1 Insufficient system storage, try again later"
LOCAL_ERROR = "451 4.3.0 Temporary local problem, try again later"
CHUNK = 256 * 1024  # DATA bytes a session gathers before they go to the spool file
_LOG_HEAD = 65536   # the start of a message kept for the log line's Message-ID
# aiosmtpd's stock replies that lack the enhanced status code the RFCs ask for.
_STOCK = {
    TOO_MUCH_DATA: TOO_BIG,   # aiosmtpd's words, kept by appliance.mta.dataread
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


class DataSink:
    """One DATA on its way to the spool: lines gather in a buffer that goes to the spool's
    temporary file in :data:`CHUNK` pieces through the spool threads; the rest (all of a
    message smaller than that) is written, fsynced and renamed in a batch of the spool's
    group commit (:class:`Commits`).  A bare CR or LF, a disk error or :meth:`discard`
    drops what was written (the sender is told at the end of DATA); the file is touched
    by one thread at a time."""

    def __init__(self, file: SpoolFile, executor: ThreadPoolExecutor, commits: "Commits",
                 peer: str) -> None:
        self.file = file
        self.executor = executor
        self.commits = commits
        self.peer = peer
        self.buffer = bytearray()
        self.bare = False
        self.error: Exception | None = None
        self.head = b""
        self._discarded = False
        self._busy: concurrent.futures.Future | asyncio.Future | None = None

    async def _in_thread(self, fn, *args):
        self._busy = self.executor.submit(fn, *args)
        return await asyncio.wrap_future(self._busy)

    def _take(self) -> bytearray:
        data, self.buffer = self.buffer, bytearray()
        if not self.head:
            self.head = bytes(data[:_LOG_HEAD])
        if not self.bare and has_bare_newline(data):  # whole CRLF lines: exact per chunk
            log.info("data refused peer=%s: bare newline", self.peer)
            self.bare = True
            self.discard()
        return data

    async def flush(self) -> None:
        data = self._take()
        if self._discarded:
            return
        try:
            await self._in_thread(self.file.write, data)
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, OSError):
            log.error("spool write failed: %s", exc)
        else:   # a fault of ours, not of the disk: the sender still hears 451, not nothing
            log.error("spool write failed", exc_info=exc)
        self.error = exc
        self.discard()

    async def finish(self, envelope: SpoolEnvelope) -> str:
        """The reply to a DATA that ended with CRLF.CRLF within the size limit."""
        data, entry_id = self._take(), ""
        if not self._discarded:
            self._busy = self.commits.commit(self.file, data)
            try:   # shielded: a lost connection leaves the commit to finish, then discards
                entry_id = await asyncio.shield(self._busy)
            except Exception as exc:
                self._failed(exc)
        if self.bare:
            return BARE_NEWLINE
        if self.error is not None:
            full = getattr(self.error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            return NO_SPACE if full else LOCAL_ERROR
        log.info("accepted spool=%s from=<%s> rcpts=%s size=%d message-id=%s", entry_id,
                 envelope.mail_from, ",".join(envelope.rcpt_tos), self.file.size,
                 header_message_id(self.head) or "-")
        return f"250 2.0.0 Ok: queued as {entry_id}"

    def discard(self) -> None:
        """Forget the message: its temporary file goes once no thread writes it."""
        if self._discarded:
            return
        self._discarded = True
        self.buffer = bytearray()
        if self._busy is None:
            self.file.abort()
        else:   # runs at once when the write is over, else in its thread when it ends
            self._busy.add_done_callback(lambda _: self.file.abort())


class ApplianceSMTP(CommandReader, SMTP):
    """aiosmtpd's SMTP with its command lines answered as they arrive
    (:mod:`appliance.mta.commandreader`), the RCPT argument checked before aiosmtpd parses
    it (its parser would quietly drop a source route), RFC 3463 codes on its stock
    replies, DATA streamed to the spool and connection caps."""

    # RFC 5321 allows 1000 octets per line, but real mail from careless software has longer
    # lines; refusing them would lose customers' mail (Postfix accepts them too).  Commands
    # keep aiosmtpd's own 512-octet limit.
    line_length_limit = 65536

    size_limit_text = ""
    open_sessions: set | None = None  # set by serve(): the connections it must drain
    limits: ConnectionLimits | None = None  # set by serve(): the connection caps
    _checked = False          # the caps were applied (once: STARTTLS calls again)
    _admitted: str | None = None  # the peer address counted against the caps
    _refusal: str | None = None   # the 421 to send instead of the greeting
    _in_data = False          # reading DATA: arriving bytes count as activity

    _building = False          # inside aiosmtpd's __init__: dir() is empty

    def __init__(self, handler: "Handler", **options) -> None:
        """aiosmtpd's, without its reflection on every new connection: it read this
        session's attributes through ``dir()`` and ``inspect.getmembers`` twice (once
        for ~150 of them, a third of the MTA's Python time; still 36 us a connection
        once ``dir()`` listed only the verbs).  The verb table is now made from a list
        kept per class, and no AUTH mechanism is looked up, since none is offered
        (:func:`serve` excludes both of aiosmtpd's)."""
        self._building = True
        try:
            super().__init__(handler, **options)
        finally:
            self._building = False
        self._smtp_methods = {verb: getattr(self, name) for verb, name in _verbs(type(self))}
        self._lines = bytearray()

    def __dir__(self):
        """The SMTP verbs and AUTH mechanisms (aiosmtpd's hooks, for whoever looks);
        nothing while aiosmtpd's ``__init__`` runs, so it reflects on nothing."""
        return [] if self._building else _named(type(self), ("smtp_", "auth_"))

    def _reset_timeout(self, duration: float | None = None) -> None:
        """aiosmtpd's idle timeout, moved on by every command: the deadline moves and the
        one timer, when it fires early, sets itself again, instead of a timer made and
        cancelled per command."""
        self._deadline = self.loop.time() + (duration or self._timeout_duration)
        if self._timeout_handle is None or self._timeout_handle.cancelled():
            self._timeout_handle = self.loop.call_at(self._deadline, self._timer)

    def _timer(self) -> None:
        if self.loop.time() < self._deadline:
            self._timeout_handle = self.loop.call_at(self._deadline, self._timer)
        else:
            self._timeout_cb()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if self.open_sessions is not None:
            self.open_sessions.add(self)
        if self.limits is not None and not self._checked:
            self._checked = True
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if peer else ""
            self._refusal = self.limits.admit(address)
            if self._refusal is None:
                self._admitted = address
            else:
                log.info("connection refused peer=%s: %s", address, self._refusal)

    def connection_lost(self, exc) -> None:
        if self.open_sessions is not None:
            self.open_sessions.discard(self)
        if self._admitted is not None and self.limits is not None:
            self.limits.release(self._admitted)
            self._admitted = None
        super().connection_lost(exc)

    async def _handle_client(self) -> None:
        if self._refusal is None:
            await super()._handle_client()
            return
        await self.push(self._refusal)
        if self.transport is not None:
            self.transport.close()

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

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA (same checks, replies and RFC 5321 4.5.2 dot handling) with the
        lines going to the spool as they come instead of into a list."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None and self.session is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        handler: Handler = self.event_handler
        envelope = handler.spool_envelope(self.session, self.envelope)
        sink = handler.open_data(envelope)
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            refusal = await self._read_data(sink)
            status = refusal or await sink.finish(envelope)
        except BaseException:
            sink.discard()
            raise
        self._set_post_data_state()
        await self.push(status)

    async def _read_data(self, sink: DataSink) -> str | None:
        """Read DATA up to CRLF.CRLF into ``sink`` (:mod:`appliance.mta.dataread`); the
        refusal that makes aiosmtpd drop a message (line too long, too much data), or None.
        Bytes arriving keep the session from its idle timeout, not only whole commands."""
        self._in_data = True
        try:
            return await read_data(self._reader, sink, self.data_size_limit,
                                   self.line_length_limit, CHUNK)
        except asyncio.CancelledError:
            log.info("connection lost during DATA peer=%s", sink.peer)
            self._writer.close()
            raise
        finally:
            self._in_data = False

    def data_received(self, data: bytes) -> None:
        if self._in_data:
            self._reset_timeout()   # idle is between the bytes of DATA, not all of it
        super().data_received(data)


@functools.lru_cache(maxsize=None)
def _named(cls: type, prefixes: tuple[str, ...]) -> list[str]:
    return sorted({n for c in cls.__mro__ for n in vars(c) if n.startswith(prefixes)})


@functools.lru_cache(maxsize=None)
def _verbs(cls: type) -> list[tuple[str, str]]:
    """(verb, method name) of each ``smtp_`` method, as aiosmtpd names them."""
    return [(name.replace("smtp_", ""), name) for name in _named(cls, ("smtp_",))]


class Commits:
    """The spool's :class:`~appliance.mta.spool.GroupCommit` for one event loop: each
    commit an asyncio future, a batch's futures resolved in one call into the loop."""

    def __init__(self, spool: Spool, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.group = GroupCommit(spool, self._done)

    def commit(self, file: SpoolFile, data: bytes) -> asyncio.Future:
        """Write ``data`` after what ``file`` holds and make it durable in ``new/``: a
        future of its spool id (or the OSError)."""
        future = self.loop.create_future()
        self.group.add(file, data, future)
        return future

    def _done(self, results: list) -> None:
        try:
            self.loop.call_soon_threadsafe(self._resolve, results)
        except RuntimeError:   # the loop is gone (the MTA stopping): nobody waits
            pass

    @staticmethod
    def _resolve(results: list) -> None:
        for future, outcome in results:
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def close(self) -> None:
        self.group.close()


class Handler:
    """aiosmtpd hooks (RCPT policy) and the spool side of DATA."""

    def __dir__(self):
        """Only its hooks: aiosmtpd reads ``dir()`` of the handler for every session."""
        return _named(type(self), ("handle_", "auth_"))

    def __init__(self, cfg: Config, spool: Spool, captures: CaptureList,
                 executor: ThreadPoolExecutor, commits: Commits) -> None:
        self.domain = cfg.domain
        self.max_recipients = cfg.getint("smtp.max_recipients")
        self.spool = spool
        self.captures = captures
        self.executor = executor
        self.commits = commits

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

    @staticmethod
    def spool_envelope(session: Session, envelope: Envelope) -> SpoolEnvelope:
        return SpoolEnvelope(
            mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
            peer=session.peer[0] if session.peer else None, helo=session.host_name,
            tls=session.ssl is not None)

    def open_data(self, envelope: SpoolEnvelope) -> DataSink:
        return DataSink(self.spool.begin(envelope), self.executor, self.commits,
                        envelope.peer or "-")


def tls_context(cfg: Config) -> ssl.SSLContext | None:
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cfg.get("smtp.tls_cert"), cfg.get("smtp.tls_key"))
        return context
    except (OSError, ssl.SSLError) as exc:
        log.warning("STARTTLS disabled: cannot load certificate: %s", exc)
        return None


def listening_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """The MTA's listening socket.  Created with ``IPPROTO_TCP`` (not protocol 0) so
    asyncio sets TCP_NODELAY on every accepted connection: without it the multi-line EHLO
    reply waited about 40 ms for the client's delayed ACK (Nagle) in every session."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def serve(cfg: Config, sock: socket.socket, stop: asyncio.Event,
                limits: ConnectionLimits | None = None) -> None:
    """Serve SMTP on ``sock`` until ``stop`` is set, then finish open transactions.
    ``limits``: the connection caps shared with the other MTA processes."""
    idle = cfg.getint("smtp.idle_timeout")
    if idle < 1:
        raise ConfigError(f"{cfg.path}: smtp.idle_timeout must be 1 or more seconds, not {idle}")
    spool = Spool(cfg.spool_dir).ensure()
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="spool")
    commits = Commits(spool, loop)
    handler = Handler(cfg, spool, CaptureList(cfg.data_dir), executor, commits)
    context = tls_context(cfg)
    limit = cfg.getint("smtp.max_message_bytes")
    hostname = cfg.get("smtp.hostname")

    open_sessions: set = set()

    def factory() -> SMTP:
        smtp = ApplianceSMTP(handler, data_size_limit=limit, enable_SMTPUTF8=True,
                             decode_data=False, hostname=hostname, ident="appliance ESMTP",
                             tls_context=context, require_starttls=False,
                             auth_exclude_mechanism=["LOGIN", "PLAIN"], loop=loop,
                             timeout=idle)
        smtp.open_sessions = open_sessions
        smtp.limits = limits
        return smtp

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
    commits.close()
