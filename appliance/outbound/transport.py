"""The SMTP transport: where a recipient's mail goes, and one session that carries it
(the queue runner, :mod:`appliance.outbound.runner`, decides what to send and when).

A :class:`Destination` is the next hop for a group of recipients: the admin's own server
(smarthost mode: one host, ``none``/``starttls``/``tls``, certificate verified against the
system's CAs plus ``delivery.ca_file``, AUTH when a username is set), or a recipient domain's
mail exchangers (direct mode: MX by preference, equal preferences shuffled, implicit MX,
null MX a permanent failure, opportunistic STARTTLS without verification, like MTAs do).

A :class:`Session` is one connection to a destination, reused for several messages (RSET
between them).  :meth:`Session.send` returns one :class:`Outcome` per recipient: 2xx
``delivered``, 4xx or connection trouble ``deferred``, 5xx ``bounced``, each with the remote
server's name and its reply line.
"""
from __future__ import annotations

import random
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field

from appliance import dnsresolver
from appliance.outbound.settings import OutboundSettings
from appliance.statuses import OutgoingStatus


class DeliveryError(Exception):
    """The destination cannot take mail now (``permanent`` False) or ever (True)."""

    def __init__(self, reason: str, permanent: bool = False, remote: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.remote = remote


@dataclass(frozen=True)
class Host:
    name: str          # what we asked for (MX name or smarthost host)
    address: str       # where we connect (an IP, or the smarthost host for the system)
    port: int

    @property
    def label(self) -> str:
        where = self.name if self.name == self.address else f"{self.name}[{self.address}]"
        return f"{where}:{self.port}"


@dataclass
class Destination:
    """The next hop for recipients that share it (one smarthost, or one domain's MX)."""
    key: str
    security: str                       # none | starttls | tls | opportunistic
    hosts: list[Host] = field(default_factory=list)
    username: str = ""
    password: str = ""
    ca_file: str = ""
    error: DeliveryError | None = None  # resolution failed: every recipient gets this
    notes: list[str] = field(default_factory=list)   # hosts skipped while resolving


@dataclass
class Outcome:
    status: OutgoingStatus    # delivered | deferred | bounced
    remote: str
    reply: str


def reply_line(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def classify(code: int) -> OutgoingStatus:
    if 200 <= code < 300:
        return OutgoingStatus.DELIVERED
    if 500 <= code < 600:
        return OutgoingStatus.BOUNCED
    return OutgoingStatus.DEFERRED


def recipient_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def destination_key(settings: OutboundSettings, email: str) -> str:
    """Recipients with the same key share a destination (and a connection)."""
    if settings.mode == "smarthost":
        return "smarthost:" + settings.smarthost
    return "mx:" + recipient_domain(email)


def resolve(settings: OutboundSettings, key: str, resolver: dnsresolver.Resolver | None,
            rng: random.Random | None = None) -> Destination:
    """The :class:`Destination` for a key from :func:`destination_key` (a smarthost needs
    no ``resolver``: the system resolves its name when connecting)."""
    kind, _, target = key.partition(":")
    if kind == "smarthost":
        dest = Destination(key, settings.security, username=settings.username,
                           password=settings.password, ca_file=settings.ca_file)
        host, sep, port = target.rpartition(":")
        if not sep or not port.isdigit():
            dest.error = DeliveryError("outbound.mode is smarthost but outbound.smarthost is "
                                       f"not HOST:PORT ({target!r}); set it with "
                                       "'appliance settings set'")
            return dest
        host = host.strip("[]")
        dest.hosts = [Host(host, host, int(port))]
        return dest
    dest = Destination(key, "opportunistic")
    port = settings.mx_port
    try:
        names = dnsresolver.mail_exchangers(resolver, target, rng)
    except dnsresolver.NullMX:
        dest.error = DeliveryError(f"{target} accepts no mail (null MX, RFC 7505)", True)
        return dest
    except dnsresolver.NXDomain:
        dest.error = DeliveryError(f"{target}: no such domain (DNS NXDOMAIN)", True)
        return dest
    except dnsresolver.DNSError as exc:
        dest.error = DeliveryError(f"MX lookup for {target} failed: {exc}")
        return dest
    temporary = False
    for name in names:
        addresses: list[str] = []
        for lookup in (resolver.a, resolver.aaaa):
            try:
                addresses += lookup(name)
            except dnsresolver.TemporaryDNSError as exc:
                temporary = True
                dest.notes.append(f"{name}: {exc}")
            except dnsresolver.DNSError:
                pass
        if not addresses:
            dest.notes.append(f"{name}: no address")
        dest.hosts += [Host(name, ip, port) for ip in dict.fromkeys(addresses)]
    if not dest.hosts:
        what = "; ".join(dest.notes) or "no address"
        dest.error = DeliveryError(f"no address for the mail servers of {target} ({what})",
                                   permanent=not temporary)
    return dest


def tls_context(verify: bool, ca_file: str = "") -> ssl.SSLContext:
    if not verify:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def describe(exc: BaseException) -> str:
    """A person-readable reason for a connection problem."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out waiting for the server"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    inner = exc.__cause__ or exc.__context__
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(inner, TimeoutError):
        return "timed out waiting for the server"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"connection lost: {exc}" if str(exc) else "connection lost"
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply_line(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


class _TLSFailed(DeliveryError):
    """Opportunistic STARTTLS failed on this host: try it again without TLS."""


class Session:
    """One SMTP connection to a destination; ``steps`` records what happened, in order."""

    def __init__(self, dest: Destination, *, helo: str, timeout: float) -> None:
        self.dest = dest
        self.helo = helo
        self.timeout = timeout
        self.smtp: smtplib.SMTP | None = None
        self.remote = ""
        self.tls = ""
        self.steps: list[tuple[str, bool, str]] = []   # (step, ok, detail)
        self.used = 0
        self.connections = 0

    # -- connecting ------------------------------------------------------------------
    def open(self) -> None:
        """Connect to the first host that takes us; raises DeliveryError when none does."""
        if self.dest.error:
            raise self.dest.error
        reasons = list(self.dest.notes)
        for host in self.dest.hosts:
            try:
                try:
                    self._open(host)
                except _TLSFailed:
                    # Opportunistic TLS: a broken TLS stack must not stop mail (RFC 3207
                    # section 4.1 and what MTAs do): the same host again, in plain text.
                    self.close()
                    self._open(host, tls=False)
                return
            except DeliveryError as exc:
                self.close()
                if exc.permanent or self.dest.security != "opportunistic":
                    raise
                reasons.append(f"{host.label}: {exc.reason}")
        raise DeliveryError("; ".join(reasons) or "no host to connect to",
                            remote=self.remote)

    def _step(self, name: str, ok: bool, detail: str = "") -> None:
        self.steps.append((name, ok, detail))

    def _open(self, host: Host, tls: bool = True) -> None:
        self.remote = host.label
        dest = self.dest
        verify = dest.security != "opportunistic"
        try:
            if dest.security == "tls":
                ctx = tls_context(True, dest.ca_file)
                smtp = smtplib.SMTP_SSL(timeout=self.timeout, local_hostname=self.helo,
                                        context=ctx)
                smtp._host = host.name
            else:
                smtp = smtplib.SMTP(timeout=self.timeout, local_hostname=self.helo)
                smtp._host = host.name
            self.smtp = smtp
            code, msg = smtp.connect(host.address, host.port)
            self.connections += 1
        except (OSError, smtplib.SMTPException) as exc:
            self._step(f"connect {host.label}", False, describe(exc))
            raise DeliveryError(describe(exc), remote=self.remote) from None
        if code != 220:
            self._step(f"connect {host.label}", False, reply_line(code, msg))
            raise DeliveryError(f"greeting {reply_line(code, msg)}", remote=self.remote)
        if dest.security == "tls":
            self.tls = f"{smtp.sock.version()}, certificate verified"
        self._step(f"connect {host.label}", True, reply_line(code, msg)
                   + (f" ({self.tls})" if self.tls else ""))
        try:
            self._ehlo()
            if dest.security == "starttls" or (dest.security == "opportunistic" and tls):
                self._starttls(host, verify)
            if dest.username:
                self._login()
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(describe(exc), remote=self.remote) from None

    def _ehlo(self) -> None:
        code, msg = self.smtp.ehlo()
        if not 200 <= code < 300:
            code, msg = self.smtp.helo()
        ok = 200 <= code < 300
        self._step("EHLO", ok, reply_line(code, msg).split(" ")[0] if ok
                   else reply_line(code, msg))
        if not ok:
            raise DeliveryError(f"EHLO/HELO refused: {reply_line(code, msg)}",
                                remote=self.remote)

    def _starttls(self, host: Host, verify: bool) -> None:
        smtp = self.smtp
        if not smtp.has_extn("starttls"):
            if verify:
                self._step("STARTTLS", False, "the server does not offer STARTTLS")
                raise DeliveryError("the server does not offer STARTTLS (outbound.security is "
                                    "starttls)", remote=self.remote)
            self._step("STARTTLS", True, "not offered; sending in plain text")
            return
        try:
            smtp.starttls(context=tls_context(verify, self.dest.ca_file))
        except (ssl.SSLError, ssl.CertificateError) as exc:
            self._step("STARTTLS", False, describe(exc))
            if verify:
                raise DeliveryError(describe(exc), remote=self.remote) from None
            raise _TLSFailed(f"STARTTLS failed: {describe(exc)}", remote=self.remote) from None
        except smtplib.SMTPResponseException as exc:
            self._step("STARTTLS", False, describe(exc))
            raise DeliveryError(f"STARTTLS refused: {describe(exc)}",
                                remote=self.remote) from None
        self.tls = smtp.sock.version() + (", certificate verified" if verify
                                          else ", not verified")
        self._step("STARTTLS", True, self.tls)
        self._ehlo()

    def _login(self) -> None:
        smtp = self.smtp
        if not smtp.has_extn("auth"):
            self._step("AUTH", False, "the server offers no AUTH")
            raise DeliveryError("the server offers no AUTH but outbound.username is set",
                                remote=self.remote)
        try:
            code, msg = smtp.login(self.dest.username, self.dest.password)
        except smtplib.SMTPAuthenticationError as exc:
            self._step(f"AUTH as {self.dest.username}", False, describe(exc))
            raise DeliveryError(f"authentication as {self.dest.username} rejected: "
                                f"{describe(exc)}", remote=self.remote) from None
        except smtplib.SMTPException as exc:
            self._step(f"AUTH as {self.dest.username}", False, describe(exc))
            raise DeliveryError(f"authentication failed: {describe(exc)}",
                                remote=self.remote) from None
        self._step(f"AUTH as {self.dest.username}", True, reply_line(code, msg))

    # -- sending ---------------------------------------------------------------------
    def send(self, mail_from: str, recipients: list[str], raw: bytes) -> dict[str, Outcome]:
        """One transaction; an outcome per recipient.  Connection trouble defers the
        recipients still open and closes the session (the caller may open a new one)."""
        if self.smtp is not None and self.used:
            self.rset()    # between two messages on one connection
        if self.smtp is None:
            self.open()
        self.used += 1
        smtp = self.smtp
        options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") and _is_8bit(raw) else []
        outcomes: dict[str, Outcome] = {}
        if not all(a.isascii() for a in [mail_from, *recipients]):
            if smtp.has_extn("smtputf8"):
                smtp.command_encoding = "utf-8"
                options.append("SMTPUTF8")
            else:
                unsendable = "the address needs SMTPUTF8, which the server does not offer"
                bad = recipients if not mail_from.isascii() else [
                    r for r in recipients if not r.isascii()]
                outcomes = {r: Outcome(OutgoingStatus.BOUNCED, self.remote, unsendable)
                            for r in bad}
                recipients = [r for r in recipients if r not in outcomes]
                if not recipients:
                    return outcomes
        try:
            code, msg = smtp.mail(mail_from, options)
            if not 200 <= code < 300:
                outcomes.update({r: Outcome(classify(code), self.remote, "MAIL FROM: "
                                            + reply_line(code, msg)) for r in recipients})
                return outcomes
            accepted = []
            for rcpt in recipients:
                code, msg = smtp.rcpt(rcpt)
                if 200 <= code < 300:
                    accepted.append(rcpt)
                else:
                    outcomes[rcpt] = Outcome(classify(code), self.remote,
                                             reply_line(code, msg))
            if not accepted:
                return outcomes
            code, msg = smtp.data(_crlf(raw))
            for rcpt in accepted:
                outcomes[rcpt] = Outcome(classify(code), self.remote, reply_line(code, msg))
            return outcomes
        except smtplib.SMTPDataError as exc:
            for rcpt in recipients:
                if rcpt not in outcomes or outcomes[rcpt].status == OutgoingStatus.DELIVERED:
                    outcomes[rcpt] = Outcome(classify(exc.smtp_code), self.remote,
                                             "DATA: " + describe(exc))
            return outcomes
        except (OSError, smtplib.SMTPException) as exc:
            reason = describe(exc)
            self.close()
            for rcpt in recipients:
                if rcpt not in outcomes:
                    outcomes[rcpt] = Outcome(OutgoingStatus.DEFERRED, self.remote, reason)
            return outcomes

    def rset(self) -> None:
        try:
            code, _ = self.smtp.rset()
            if code != 250:
                self.close()
        except (OSError, smtplib.SMTPException):
            self.close()

    def mail_from(self, sender: str) -> tuple[int, str]:
        code, msg = self.smtp.mail(sender)
        return code, reply_line(code, msg)

    def rcpt(self, rcpt: str) -> tuple[int, str]:
        code, msg = self.smtp.rcpt(rcpt)
        return code, reply_line(code, msg)

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            if smtp.sock is not None:
                smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            smtp.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _is_8bit(raw: bytes) -> bool:
    return any(b > 127 for b in raw)


def session_for(settings: OutboundSettings, dest: Destination) -> Session:
    return Session(dest, helo=settings.helo, timeout=settings.timeout)
