"""The send test (``appliance outbound test`` and the panel's "Send test"): connect to
where mail goes and report each step.

Smarthost mode: the configured server, with its security and login.  Direct mode: the MX of
``to``'s domain (or of the from-address's).  The test says EHLO, STARTTLS/TLS as configured,
AUTH, MAIL FROM and (with ``to``) RCPT TO, then QUIT: nothing is sent.
"""
from __future__ import annotations

import socket

from appliance import dnsresolver, resolving
from appliance.config import Config
from appliance.outbound import transport
from appliance.outbound.settings import OutboundSettings


def run_test(cfg: Config, to: str = "", resolver: dnsresolver.Resolver | None = None
             ) -> list[tuple[str, bool | None, str]]:
    """The steps of an outbound test, each (name, ok, detail); stops at the first failure.
    ``ok`` is None for a failure that did not matter (a dead MX when the next one answered).
    Raises :class:`DeliveryError` when the settings name nowhere to connect to."""
    settings = OutboundSettings.load(cfg)
    sender = settings.from_address
    steps: list[tuple[str, bool | None, str]] = []
    if settings.mode == "smarthost":
        target = settings.smarthost
        if not target:
            raise transport.DeliveryError(
                "outbound.mode is smarthost but outbound.smarthost is empty: "
                "appliance settings set -c CFG outbound.smarthost HOST:PORT")
        dest = transport.resolve(settings, "smarthost:" + target, None)
        if dest.error:
            raise dest.error
        host = dest.hosts[0]
        try:
            found = socket.getaddrinfo(host.address, host.port, type=socket.SOCK_STREAM)
            steps.append((f"DNS {host.address}", True,
                          ", ".join(dict.fromkeys(a[4][0] for a in found))))
        except (socket.gaierror, UnicodeError) as exc:
            steps.append((f"DNS {host.address}", False, f"cannot resolve: {exc}"))
            return steps
    else:
        domain = transport.recipient_domain(to or sender)
        resolver = resolver or resolving.configure(cfg)
        dest = transport.resolve(settings, "mx:" + domain, resolver)
        if dest.error:
            steps.append((f"DNS MX {domain}", False, dest.error.reason))
            return steps
        steps.append((f"DNS MX {domain}", True, ", ".join(h.label for h in dest.hosts)))
    session = transport.session_for(settings, dest)
    try:
        try:
            session.open()
        except transport.DeliveryError as exc:
            steps += session.steps
            if not session.steps or session.steps[-1][1]:
                steps.append(("connect", False, exc.reason))
            return steps
        # In direct mode a dead MX is not fatal when a later one answered, as in transport.
        steps += [(n, None if ok is False else ok,
                   f"{d}; the next MX was tried" if ok is False else d)
                  for n, ok, d in session.steps]
        code, reply = session.mail_from(sender)
        steps.append((f"MAIL FROM:<{sender}>", 200 <= code < 300, reply))
        if not 200 <= code < 300:
            return steps
        if to:
            code, reply = session.rcpt(to)
            steps.append((f"RCPT TO:<{to}>", 200 <= code < 300, reply))
            if not 200 <= code < 300:
                return steps
        try:
            code, msg = session.smtp.quit()
            steps.append(("QUIT", True, transport.reply_line(code, msg)))
        except OSError as exc:
            steps.append(("QUIT", False, transport.describe(exc)))
        return steps
    finally:
        session.close()
