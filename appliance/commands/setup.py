"""``appliance init`` and ``appliance demo``."""
from __future__ import annotations

from pathlib import Path

from appliance.cli import CommandError, setup_logging


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
    p.set_defaults(func=cmd_demo)


def describe(result, smtp: str, web: str) -> str:
    return "\n".join([
        f"Data directory:  {result.data_dir}",
        f"Configuration:   {result.config_path}",
        f"SMTP:            {smtp}  (capture addresses: {', '.join(result.captures)})",
        f"Web:             http://{web}/",
        f"Admin login:     {result.admin_email}"
        + (f" / {result.admin_password}" if result.admin_password else ""),
        f"Start it all:    appliance run -c {result.config_path}",
    ])


def cmd_init(args) -> int:
    from appliance.initdir import init
    result = init(args.data_dir, args.domain, args.smtp_listen, args.web_listen,
                  args.admin_email, args.admin_password, args.force, args.database,
                  args.public_url)
    print(describe(result, args.smtp_listen, args.web_listen))
    return 0


def cmd_demo(args) -> int:
    from appliance import config, supervise
    from appliance.initdir import InitResult, init
    ini = Path(args.data_dir) / "appliance.ini"
    if ini.exists():
        cfg = config.load(ini)
        result = InitResult(cfg.data_dir, ini, "(as printed when the demo was created)", None,
                            [f"tickets@{cfg.domain}", f"tasks@{cfg.domain}"])
    else:
        result = init(args.data_dir, args.domain)
        cfg = config.load(ini)
    setup_logging(cfg.get("appliance.log_level"))
    print(describe(result, cfg.get("smtp.listen"), cfg.get("web.listen")))
    host, port = cfg.listen("smtp.listen")
    print(f"Try it:          swaks --server {host}:{port} --to tickets@{cfg.domain}   "
          f"(or any SMTP client), then: {supervise.command_prefix()} items list -c {ini}")
    print("Stop with Ctrl-C.", flush=True)
    if not cfg.data_dir.exists():
        raise CommandError(f"{cfg.data_dir} is missing")
    return supervise.run(cfg)
