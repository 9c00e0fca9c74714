"""``appliance init`` and ``appliance demo``."""
from __future__ import annotations

from pathlib import Path

from appliance.commands.common import setup_logging
from appliance.errors import CommandError


def register(sub) -> None:
    p = sub.add_parser("init", help="create a data directory (config, database, keys)")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--domain", required=True, help="the box's mail domain")
    p.add_argument("--smtp-listen", default="127.0.0.1:2525")
    p.add_argument("--web-listen", default="127.0.0.1:8080")
    p.add_argument("--public-url", default="",
                   help="where people reach the panel, e.g. https://help.example.com/; "
                        "links in mail are built from it (default http://WEB_LISTEN/)")
    p.add_argument("--admin-email")
    p.add_argument("--admin-password")
    p.add_argument("--force", action="store_true", help="overwrite an existing directory")
    p.add_argument("--database", default="",
                   help="postgresql://user:password@host:port/db instead of the SQLite file "
                        "in the data directory (several boxes may share one)")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("demo", help="init a demo data directory if needed, then run it all")
    p.add_argument("--data-dir", default="demo-data")
    p.add_argument("--domain", default="help.example.test")
    p.add_argument("--smtp-listen", help="HOST:PORT for SMTP (default 127.0.0.1:2525, or what "
                                         "the demo directory has; given, it is saved there)")
    p.add_argument("--web-listen", help="HOST:PORT for the panel (default 127.0.0.1:8080, or "
                                        "what the demo directory has; given, it is saved there)")
    p.set_defaults(func=cmd_demo)


def describe(result, smtp: str, web: str) -> str:
    from appliance.supervise import command_prefix
    app, ini = command_prefix(), result.config_path.resolve()
    return "\n".join([
        f"Data directory:  {result.data_dir.resolve()}",
        f"Configuration:   {ini}",
        f"SMTP:            {smtp}  (capture addresses: {', '.join(result.captures)})",
        f"Web:             http://{web}/",
        f"Admin login:     {result.admin_email}"
        + (f" / {result.admin_password}" if result.admin_password else
           f"  (lost the password? {app} users set-password {result.admin_email} -c {ini})"),
        f"Start it all:    {app} run -c {ini}",
    ])


def cmd_init(args) -> int:
    from appliance.initdir import init
    result = init(args.data_dir, args.domain, args.smtp_listen, args.web_listen,
                  args.admin_email, args.admin_password, args.force, args.database,
                  args.public_url)
    print(describe(result, args.smtp_listen, args.web_listen))
    return 0


def _existing_demo(ini: Path, listens: dict[str, str]):
    """The demo directory made earlier: the ports given now are saved into its ini."""
    from appliance import config
    from appliance.helpdesk.database import close_database, open_database
    from appliance.helpdesk.models import Person, User
    from appliance.captures import CaptureList
    from appliance.initdir import InitResult
    if listens:
        config.update(ini, listens)
    cfg = config.load(ini)
    open_database(cfg.database, create=False)
    admin = (Person.select(Person.email).join(User).where(User.role == "admin")
             .order_by(User.id).first())
    close_database()
    captures = sorted(CaptureList(cfg.data_dir).current())
    return cfg, InitResult(cfg.data_dir, ini, admin.email if admin else "(no admin user)",
                           None, captures)


def cmd_demo(args) -> int:
    from appliance import config, supervise
    from appliance.initdir import init
    ini = Path(args.data_dir).resolve() / "appliance.ini"
    listens = {k: v for k, v in (("smtp.listen", args.smtp_listen),
                                 ("web.listen", args.web_listen)) if v}

    def hint(key: str) -> str:
        return (f"choose a free one with: appliance demo --{key.split('.')[0]}-listen "
                f"127.0.0.1:PORT")
    try:
        current = ({k: config.load(ini).get(k) for k in ("smtp.listen", "web.listen")}
                   if ini.exists() else
                   {"smtp.listen": "127.0.0.1:2525", "web.listen": "127.0.0.1:8080"})
        for key, value in listens.items():
            config.parse_listen(value, f"--{key.split('.')[0]}-listen")
        wanted = {**current, **listens}
        supervise.check_ports(wanted, hint)
        if ini.exists():
            cfg, result = _existing_demo(ini, listens)
        else:
            result = init(args.data_dir, args.domain, smtp_listen=wanted["smtp.listen"],
                          web_listen=wanted["web.listen"])
            cfg = config.load(ini)
        setup_logging(cfg.get("appliance.log_level"))
        print(f"Starting the appliance in {cfg.data_dir} ...", flush=True)

        def ready() -> None:
            app = supervise.command_prefix()
            print(describe(result, cfg.get("smtp.listen"), cfg.get("web.listen")))
            print(f"Send a test mail: {app} send-test -c {ini}")
            print(f"See the items:    {app} items list -c {ini}   (or in the panel)")
            print("Every service is up. Stop with Ctrl-C.", flush=True)
        return supervise.run(cfg, hint=hint, ready=ready)
    except supervise.StartError as exc:
        raise CommandError(str(exc)) from None
