"""``appliance automations`` and ``appliance templates``: the message center."""
from __future__ import annotations

from pathlib import Path

from appliance.commands.common import add_config, add_json, emit, open_db
from appliance.errors import CommandError


def register(sub) -> None:
    auto = sub.add_parser("automations", help="message-center automations").add_subparsers(
        dest="action", metavar="ACTION")
    auto.required = True
    p = auto.add_parser("list", help="every automation: when it fires, to whom, what it says")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_automations_list)
    for name in ("enable", "disable"):
        p = auto.add_parser(name)
        add_config(p)
        p.add_argument("code", help="e.g. A02")
        p.set_defaults(func=cmd_automations_toggle, enabled=name == "enable")

    tpl = sub.add_parser("templates", help="message-center templates").add_subparsers(
        dest="action", metavar="ACTION")
    tpl.required = True
    p = tpl.add_parser("list")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_templates_list)
    p = tpl.add_parser("show")
    add_config(p)
    add_json(p)
    p.add_argument("name")
    p.add_argument("--preview", action="store_true", help="render it with sample data")
    p.set_defaults(func=cmd_templates_show)
    p = tpl.add_parser("set", help="change a template's subject and body")
    add_config(p)
    p.add_argument("name")
    p.add_argument("--subject", required=True)
    p.add_argument("--body-file", required=True, help="the body (Jinja2), - for stdin")
    p.set_defaults(func=cmd_templates_set)
    p = tpl.add_parser("reset", help="back to the default text")
    add_config(p)
    p.add_argument("name")
    p.set_defaults(func=cmd_templates_reset)
    for name in ("enable", "disable"):
        p = tpl.add_parser(name, help=f"{name} a system email or the relay")
        add_config(p)
        p.add_argument("name")
        if name == "disable":
            p.add_argument("--yes", action="store_true",
                           help="confirm after reading what stops working")
        p.set_defaults(func=cmd_templates_toggle, enabled=name == "enable")


def cmd_automations_list(args) -> int:
    from appliance.helpdesk import automations
    from appliance.helpdesk.models import Automation
    open_db(args)
    docs = [automations.to_json(a) for a in Automation.select().order_by(Automation.code)]
    lines = [f"{d['code']}  {'on ' if d['enabled'] else 'off'}  {d['name']}\n"
             f"      {d['description']}" for d in docs]
    emit(docs, args.json, "\n".join(lines) or "no automations")
    return 0


def cmd_automations_toggle(args) -> int:
    from appliance.helpdesk import automations
    open_db(args)
    try:
        automation = automations.set_enabled(args.code, args.enabled)
    except automations.AutomationError as exc:
        raise CommandError(str(exc)) from None
    print(f"{automation.code} {'enabled' if args.enabled else 'disabled'}")
    return 0


def _templates():
    from appliance.helpdesk import templates
    return templates


def cmd_templates_list(args) -> int:
    from appliance.helpdesk.models import Automation
    open_db(args)
    t = _templates()
    docs = []
    for template in t.all_templates():
        doc = template.to_json()
        if template.spec.kind in ("automated_message", "automated_email"):
            active, inactive = t.usage(template.name, Automation.select())
            doc["used_by"] = [a.code for a in active] + [f"{a.code} (disabled)"
                                                         for a in inactive]
            doc["enabled"] = bool(active)
        docs.append(doc)
    lines = [f"{d['name']:<16} {d['kind']:<18} {'on ' if d['enabled'] else 'off'} "
             f"{'(edited) ' if d['customised'] else ''}{d['subject']}"
             + (f"   used by {', '.join(d['used_by']) or 'nothing'}" if "used_by" in d else "")
             for d in docs]
    emit(docs, args.json, "\n".join(lines))
    return 0


def _rethrow(call):
    from appliance.outbound.render import RenderError
    t = _templates()
    try:
        return call()
    except (t.TemplateError, RenderError) as exc:   # RenderError: over budget, or raises
        raise CommandError(str(exc)) from None


def cmd_templates_show(args) -> int:
    from appliance.outbound.mailer import Mailer
    cfg = open_db(args)
    t = _templates()
    template = _rethrow(lambda: t.get(args.name))
    doc = template.to_json(body=True)
    doc["properties"] = [{"name": n, "help": h} for n, h in t.PROPERTIES]
    if args.preview:
        rendered = _rethrow(lambda: t.preview(args.name, Mailer(cfg).appearance()))
        doc["preview"] = {"subject": rendered.subject, "text": rendered.text,
                          "html": rendered.html}
    text = f"Subject: {doc['subject']}\n\n{doc['body']}"
    if args.preview:
        text = f"Subject: {doc['preview']['subject']}\n\n{doc['preview']['text']}"
    emit(doc, args.json, text)
    return 0


def cmd_templates_set(args) -> int:
    import sys
    open_db(args)
    if args.body_file == "-":
        body = sys.stdin.read()
    else:
        path = Path(args.body_file)
        if not path.is_file():
            raise CommandError(f"no such file: {args.body_file}")
        body = path.read_text(encoding="utf-8")
    t = _templates()
    _rethrow(lambda: t.save(args.name, args.subject, body))
    print(f"{args.name} saved")
    return 0


def cmd_templates_reset(args) -> int:
    open_db(args)
    t = _templates()
    _rethrow(lambda: t.reset(args.name))
    print(f"{args.name} is back to its default text")
    return 0


def cmd_templates_toggle(args) -> int:
    open_db(args)
    t = _templates()
    spec = _rethrow(lambda: t.spec(args.name))
    if not args.enabled and spec.stops and not args.yes:
        raise CommandError(f"disabling {args.name}: {spec.stops} Run again with --yes to "
                           f"disable it anyway.")
    _rethrow(lambda: t.set_enabled(args.name, args.enabled))
    print(f"{args.name} {'enabled' if args.enabled else 'disabled'}")
    return 0
