"""``appliance outbound test``: connect to where mail goes and report each step (the test
itself is :func:`appliance.outbound.checks.run_test`, which the panel runs too)."""
from __future__ import annotations

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


def cmd_test(args) -> int:
    from appliance.outbound.checks import run_test
    from appliance.outbound.transport import DeliveryError
    cfg = open_db(args)
    try:
        steps = run_test(cfg, args.to.strip())
    except DeliveryError as exc:   # not configured to send at all
        raise CommandError(exc.reason) from None
    ok = bool(steps) and all(s[1] is not False for s in steps)
    lines = [f"{name}: ok" + (f" ({detail})" if detail else "") if passed
             else f"{name}: FAILED: {detail}" for name, passed, detail in steps]
    lines.append("all steps passed: the box can send mail this way" if ok
                 else "outbound test FAILED (see the step above)")
    emit({"ok": ok, "steps": [{"step": n, "ok": bool(p), "fatal": p is False, "detail": d}
                              for n, p, d in steps]},
         args.json, "\n".join(lines))
    return 0 if ok else 1
