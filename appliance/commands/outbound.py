"""``appliance outbound test``: connect to where mail goes and report each step.

Smarthost mode: the configured server, with its security and login.  Direct mode: the MX of
``--to``'s domain (or of the from-address's).  The test says EHLO, STARTTLS/TLS as
configured, AUTH, MAIL FROM and (with ``--to``) RCPT TO, then QUIT: nothing is sent.
"""
from __future__ import annotations

import socket

from appliance.commands.common import add_config, add_json, emit, open_db
from appliance.errors import CommandError


def register(sub) -> None:
    group = sub.add_parser("outbound", help="outbound delivery").add_subparsers(
        dest="action", metavar="ACTION")
    group.required = True
    p = group.add_parser("test", help="connect to the outbound server (or an MX) and report "
                                      "what works and what fails; sends nothing")
    add_config(p)
    add_json(p)
    p.add_argument("--to", default="", help="also try RCPT TO this address (in direct mode, "
                                            "its domain's MX is tested)")
    p.set_defaults(func=cmd_test)


def run_test(cfg, to: str = "", resolver=None) -> list[tuple[str, bool, str]]:
    """The steps of an outbound test, each (name, ok, detail); stops at the first failure.
    ``ok`` is None for a failure that did not matter (a dead MX when the next one answered)."""
    from appliance import resolving
    from appliance.mta import delivery
    setting = delivery.settings_reader(cfg)
    sender = setting("outbound.from_address")
    steps: list[tuple[str, bool, str]] = []
    if setting("outbound.mode") == "smarthost":
        target = setting("outbound.smarthost")
        if not target:
            raise CommandError("outbound.mode is smarthost but outbound.smarthost is empty: "
                               "appliance settings set -c CFG outbound.smarthost HOST:PORT")
        dest = delivery.resolve(cfg, "smarthost:" + target, None, setting=setting)
        if dest.error:
            raise CommandError(dest.error.reason)
        host = dest.hosts[0]
        try:
            found = socket.getaddrinfo(host.address, host.port, type=socket.SOCK_STREAM)
            steps.append((f"DNS {host.address}", True,
                          ", ".join(dict.fromkeys(a[4][0] for a in found))))
        except (socket.gaierror, UnicodeError) as exc:
            steps.append((f"DNS {host.address}", False, f"cannot resolve: {exc}"))
            return steps
    else:
        domain = delivery.recipient_domain(to or sender)
        resolver = resolver or resolving.configure(cfg)
        dest = delivery.resolve(cfg, "mx:" + domain, resolver, setting=setting)
        if dest.error:
            steps.append((f"DNS MX {domain}", False, dest.error.reason))
            return steps
        steps.append((f"DNS MX {domain}", True, ", ".join(h.label for h in dest.hosts)))
    session = delivery.session_for(cfg, dest)
    try:
        try:
            session.open()
        except delivery.DeliveryError as exc:
            steps += session.steps
            if not session.steps or session.steps[-1][1]:
                steps.append(("connect", False, exc.reason))
            return steps
        # In direct mode a dead MX is not fatal when a later one answered, as in delivery.
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
            steps.append(("QUIT", True, delivery.reply_line(code, msg)))
        except OSError as exc:
            steps.append(("QUIT", False, delivery.describe(exc)))
        return steps
    finally:
        session.close()


def cmd_test(args) -> int:
    cfg = open_db(args)
    steps = run_test(cfg, args.to.strip())
    ok = bool(steps) and all(s[1] is not False for s in steps)
    lines = [f"{name}: ok" + (f" ({detail})" if detail else "") if passed
             else f"{name}: FAILED: {detail}" for name, passed, detail in steps]
    lines.append("all steps passed: the box can send mail this way" if ok
                 else "outbound test FAILED (see the step above)")
    emit({"ok": ok, "steps": [{"step": n, "ok": bool(p), "fatal": p is False, "detail": d}
                              for n, p, d in steps]},
         args.json, "\n".join(lines))
    return 0 if ok else 1
