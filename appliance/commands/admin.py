"""``appliance settings``, ``users``, ``blocklist`` and ``classify``."""
from __future__ import annotations

from appliance.commands.common import add_config, add_json, emit, open_db, read_stdin_or_file
from appliance.errors import CommandError


def register(sub) -> None:
    settings = sub.add_parser("settings", help="read or change a setting").add_subparsers(
        dest="action", metavar="ACTION")
    settings.required = True
    p = settings.add_parser("get")
    add_config(p)
    p.add_argument("key")
    p.set_defaults(func=cmd_settings_get)
    p = settings.add_parser("set")
    add_config(p)
    p.add_argument("key")
    p.add_argument("value")
    p.set_defaults(func=cmd_settings_set)
    p = settings.add_parser("list")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_settings_list)

    users = sub.add_parser("users", help="helpdesk users").add_subparsers(dest="action",
                                                                          metavar="ACTION")
    users.required = True
    p = users.add_parser("add", help="add an agent or an admin")
    add_config(p)
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["agent", "admin"])
    p.add_argument("--password")
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("list", help="every agent and admin")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_users_list)
    p = users.add_parser("set-password", help="choose a new password for a user (a lost "
                                              "admin password is recovered here)")
    add_config(p)
    p.add_argument("email")
    p.add_argument("--password", help="the new password (default: asked for twice)")
    p.set_defaults(func=cmd_users_set_password)

    block = sub.add_parser("blocklist", help="mailboxes that are not people").add_subparsers(
        dest="action", metavar="ACTION")
    block.required = True
    for name in ("add", "remove"):
        p = block.add_parser(name)
        add_config(p)
        p.add_argument("address", help="an address or a *@domain pattern")
        p.set_defaults(func=cmd_blocklist_change, op=name)
    p = block.add_parser("list")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_blocklist_list)

    p = sub.add_parser("classify", help="dry run of intake classification on one message")
    p.add_argument("-c", "--config", default=None)
    p.add_argument("--rcpt", action="append", default=[])
    p.add_argument("--mail-from", default="")
    p.add_argument("--agent", action="append", default=[])
    p.add_argument("--agent-forwarding", action="store_true")
    p.add_argument("file", help="message file, - for stdin")
    p.set_defaults(func=cmd_classify)


def cmd_settings_get(args) -> int:
    from appliance.helpdesk import settingstore
    from appliance.settings import SETTINGS, validate
    cfg = open_db(args)
    if args.key not in SETTINGS:
        validate(args.key, "")
    value = settingstore.current(args.key, cfg.domain)   # the stored form, as set
    print("********" if SETTINGS[args.key].secret and value else value)
    return 0


def cmd_settings_set(args) -> int:
    from appliance.helpdesk import settingstore
    from appliance.settings import validate
    cfg = open_db(args)
    validate(args.key, args.value)   # an unknown key or bad value: its reason, exit 2
    settingstore.store({args.key: args.value})
    print(f"{args.key} = {settingstore.current(args.key, cfg.domain)}")
    return 0


def cmd_settings_list(args) -> int:
    from appliance.helpdesk import settingstore
    from appliance.settings import SETTINGS
    cfg = open_db(args)
    docs = [{"key": k, "value": "" if s.secret else settingstore.current(k, cfg.domain),
             "default": s.default.replace("{domain}", cfg.domain), "help": s.help}
            for k, s in SETTINGS.items()]
    emit(docs, args.json, "\n".join(f"{d['key']} = {d['value']}    # {d['help']}"
                                    for d in docs))
    return 0


def cmd_users_add(args) -> int:
    from appliance.helpdesk import accounts
    cfg = open_db(args)
    try:
        added = accounts.add_user(cfg, args.email, args.name, args.role, args.password,
                                  generate_when_not_invited=True)
    except accounts.AccountError as exc:
        raise CommandError(str(exc)) from None
    text = f"{args.role} {added.email} added"
    if added.invited:
        text += (f"; the invitation (the account_created system email with a set-password "
                 f"link valid for {accounts.INVITE_VALID_HOURS} hours) was queued")
    elif added.password:
        text += (f"; the account_created system email is turned off, so no invitation was "
                 f"sent: password {added.password}")
    print(text)
    return 0


def cmd_users_list(args) -> int:
    from appliance.helpdesk.models import Person, User
    from appliance.clock import iso
    open_db(args)
    rows = [{"email": u.person.email, "name": u.person.name, "role": u.role,
             "active": u.active, "has_password": bool(u.password_hash),
             "created_at": iso(u.created_at)}
            for u in User.select(User, Person).join(Person).order_by(User.id)]
    emit(rows, args.json, "\n".join(
        f"{r['email']:<32} {r['role']:<6} {'active' if r['active'] else 'deactivated':<12}"
        f"{'' if r['has_password'] else 'no password yet (invited)'}".rstrip()
        for r in rows) or "no users")
    return 0


def cmd_users_set_password(args) -> int:
    from appliance.helpdesk import accounts
    open_db(args)
    password = args.password
    if password is None:
        import getpass
        password = getpass.getpass(f"New password for {args.email}: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("the two passwords differ; nothing was changed")
    try:
        user = accounts.set_password(args.email, password)
    except accounts.AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"password of {user.person.email} ({user.role}) changed; "
          f"its open sessions are signed out")
    return 0


def cmd_blocklist_change(args) -> int:
    from appliance.helpdesk import blocklist
    open_db(args)
    if args.op == "add":
        print(f"blocked {blocklist.add(args.address)}")
    else:
        pattern = blocklist.normalise_pattern(args.address)
        if not blocklist.remove(pattern):
            raise CommandError(f"{pattern} is not on the blocklist")
        print(f"removed {pattern}")
    return 0


def cmd_blocklist_list(args) -> int:
    from appliance.helpdesk import blocklist
    open_db(args)
    patterns = [b.pattern for b in blocklist.entries()]
    emit(patterns, args.json, "\n".join(patterns) or "the blocklist is empty")
    return 0


def cmd_classify(args) -> int:
    import json

    from appliance.helpdesk import classify
    raw = read_stdin_or_file(args.file)
    env = classify.Envelope(mail_from=args.mail_from, rcpt_tos=tuple(args.rcpt))
    if args.config:
        from appliance.helpdesk.intake import load_context
        cfg = open_db(args)
        ctx = load_context(cfg.domain, cfg.attachments_dir).classify
        if args.agent or args.agent_forwarding:
            from dataclasses import replace
            ctx = replace(ctx, agents=ctx.agents | {a.lower() for a in args.agent},
                          agent_forwarding=ctx.agent_forwarding or args.agent_forwarding)
    else:
        ctx = classify.context_from_args(args.rcpt, args.agent, args.agent_forwarding)
    decision = classify.classify(raw, env, ctx)
    print(json.dumps(decision.to_json(), ensure_ascii=False, indent=1))
    return 0
