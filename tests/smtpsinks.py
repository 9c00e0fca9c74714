"""SMTP servers on loopback for delivery tests.

:class:`Sink` is an aiosmtpd server the test controls: a reply per recipient (4xx/5xx), a
reply to DATA, a dropped connection after DATA, STARTTLS and AUTH required with a trustme
certificate, implicit TLS; it counts connections and keeps what it received.

:class:`PostfixSink` runs Postfix's ``smtp-sink`` (``-f``/``-r``/``-Q`` fault injection) as
``nobody`` with a dump directory, and reads its ``-d`` dumps back.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from conftest import free_port, wait_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: str
    tls: bool
    login: str | None


@dataclass
class Behaviour:
    """What the server answers; change it between deliveries."""
    rcpt: dict[str, str] = field(default_factory=dict)   # address -> reply, e.g. "550 5.1.1 no"
    mail: str | None = None           # reply to MAIL FROM instead of 250
    data: str | None = None           # reply to the end of DATA instead of 250
    drop_after_data: bool = False     # close the connection instead of answering DATA
    hold_data: float = 0.0            # seconds to wait before answering DATA


class _Handler:
    def __init__(self, sink: "Sink") -> None:
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.sink.behaviour.mail
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.behaviour.rcpt.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        b = self.sink.behaviour
        self.sink.in_data += 1
        if b.hold_data:
            await asyncio.sleep(b.hold_data)
        if b.drop_after_data:
            server.transport.abort()
            return "421 4.4.2 gone"
        if b.data:
            return b.data
        login = session.auth_data
        with self.sink.lock:
            self.sink.received.append(Received(
                envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content),
                session.peer[0], server.transport.get_extra_info("sslcontext") is not None,
                login.decode() if isinstance(login, bytes) else login))
            number = len(self.sink.received)
        return f"250 2.0.0 Ok: queued as SINK{number}"


class _CountingSMTP(SMTP):
    def connection_made(self, transport):
        with self.sink.lock:
            self.sink.connections += 1
        super().connection_made(transport)


class Sink:
    """An aiosmtpd server on ``host:port`` (any 127.x.y.z address; several sinks may share
    a port on different loopback addresses, like MX hosts of one domain)."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, *,
                 tls_context=None, require_starttls: bool = False, implicit_tls=None,
                 users: dict[str, str] | None = None, name: str = "sink.test",
                 smtputf8: bool = True) -> None:
        self.host = host
        self.port = port or free_port()
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self.connections = 0
        self.in_data = 0      # DATA commands whose content arrived
        self.lock = threading.Lock()
        self.users = users
        sink = self
        kwargs: dict = {"enable_SMTPUTF8": smtputf8}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if users is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=tls_context is not None or implicit_tls is not None)

        class Counting(_CountingSMTP):
            pass
        Counting.sink = sink

        class _Controller(Controller):
            def factory(self):
                return Counting(self.handler, **self.SMTP_kwargs)

        self.controller = _Controller(_Handler(self), hostname=host, port=self.port,
                                      ssl_context=implicit_tls, server_hostname=name, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else ""
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else ""
        ok = self.users is not None and self.users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)

    def start(self) -> "Sink":
        self.controller.start()
        with self.lock:
            self.connections = 0   # the controller's own start-up probe
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Dump:
    mail_from: str
    rcpt_tos: list[str]
    body: bytes


class PostfixSink:
    """Postfix's ``smtp-sink`` on 127.0.0.1 with fault injection: ``faults`` are its flags,
    e.g. ``["-f", "RCPT"]`` (5xx), ``["-r", "RCPT"]`` (4xx), ``["-Q", "DATA"]`` (421)."""

    def __init__(self, workdir: Path, faults: list[str] | None = None) -> None:
        self.port = free_port()
        self.dumps = Path(workdir) / "smtp-sink"
        self.dumps.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dumps, "nobody")
        for parent in [self.dumps.parent, *self.dumps.parent.parents]:
            if parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)   # nobody may pass through
        self.faults = faults or []
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists())

    def start(self) -> "PostfixSink":
        binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        self.proc = subprocess.Popen(
            [binary, "-u", "nobody", "-d", f"{self.dumps}/%H%M%S.", *self.faults,
             f"127.0.0.1:{self.port}", "100"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> "PostfixSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def read_dumps(self, expect: int = 0, timeout: float = 5.0) -> list[Dump]:
        """Parse the dump files (envelope ``X-Mail-Args:``/``X-Rcpt-Args:`` lines first)."""
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(p for p in self.dumps.rglob("*") if p.is_file())
            if len(files) >= expect or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        dumps = []
        for path in files:
            data = path.read_bytes()
            mail_from, rcpts, rest = "", [], data
            lines = data.split(b"\n")
            body_start = 0
            for i, line in enumerate(lines):
                text = line.rstrip(b"\r").decode("utf-8", "replace")
                if text.startswith("X-Mail-Args:"):
                    mail_from = text.split(":", 1)[1].strip().strip("<>")
                elif text.startswith("X-Rcpt-Args:"):
                    rcpts.append(text.split(":", 1)[1].strip().strip("<>"))
                elif text.startswith("X-") and ":" in text:
                    continue
                else:
                    body_start = i
                    break
            rest = b"\n".join(lines[body_start:])
            dumps.append(Dump(mail_from, rcpts, rest))
        return dumps


# -- helpers shared by the delivery tests -----------------------------------------------------

def tls_material(tmp_path: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")):
    """(server ssl context, CA file path) from a fresh trustme CA."""
    import ssl

    import trustme
    ca = trustme.CA()
    cert = ca.issue_cert(*names)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    ca_file = Path(tmp_path) / f"ca-{time.time_ns()}.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ctx, ca_file


def set_settings(**values: str) -> None:
    """Write settings the way ``appliance settings set`` does (``outbound_mode=...``)."""
    from appliance.helpdesk.models import Setting
    from appliance.settings import validate
    for name, value in values.items():
        key = name.replace("_", ".", 1)
        Setting.insert(key=key, value=validate(key, value)).on_conflict_replace().execute()


_counter = [0]


def queue(recipients: list[str], subject: str = "Hello", mail_from: str = "support@box.example",
          body: str = "Hi there.\r\n"):
    """Enqueue one message the way the mailer does; returns the OutgoingMail row."""
    from appliance.helpdesk.models import db
    from appliance.outbound.queue import enqueue
    _counter[0] += 1
    mid = f"<test.{_counter[0]}.{time.time_ns()}@box.example>"
    raw = (f"From: Support <{mail_from}>\r\nTo: {', '.join(recipients)}\r\n"
           f"Subject: {subject}\r\nMessage-ID: {mid}\r\n"
           f"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n{body}").encode()
    with db.atomic():
        return enqueue(raw, mail_from=mail_from, recipients=recipients, subject=subject,
                       message_id=mid, kind="test")


def reload(mail):
    return type(mail).get_by_id(mail.id)


def events(mail) -> list[tuple[str, str]]:
    """(event, detail), newest first, as the outgoing log shows them."""
    from appliance.outbound.models import OutgoingEvent
    rows = (OutgoingEvent.select().where(OutgoingEvent.mail == mail.id)
            .order_by(OutgoingEvent.at.desc(), OutgoingEvent.id.desc()))
    return [(e.event, e.detail) for e in rows]


def recipients(mail) -> dict[str, tuple[str, str | None, str | None]]:
    from appliance.outbound.models import OutgoingRecipient
    return {r.email: (r.status, r.remote, r.reply) for r in
            OutgoingRecipient.select().where(OutgoingRecipient.mail == mail.id)}
