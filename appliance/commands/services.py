"""``appliance run``, ``mta``, ``worker``, ``web``: the long-running services."""
from __future__ import annotations

from appliance.commands.common import add_config, load_cfg
from appliance.errors import CommandError


def register(sub) -> None:
    for name, help_text in (("run", "every service in the foreground under supervisord"),
                            ("mta", "the SMTP service"),
                            ("worker", "the intake worker"),
                            ("web", "the web service")):
        p = sub.add_parser(name, help=help_text)
        add_config(p)
        p.set_defaults(func=globals()[f"cmd_{name}"])


def cmd_run(args) -> int:
    from appliance import supervise
    try:
        return supervise.run(load_cfg(args))
    except supervise.StartError as exc:
        raise CommandError(str(exc)) from None


def cmd_mta(args) -> int:
    from appliance.mta import service
    return service.run(load_cfg(args))


def cmd_worker(args) -> int:
    from appliance.helpdesk import worker
    return worker.run(load_cfg(args))


def cmd_web(args) -> int:
    from appliance.webadmin import app
    return app.run(load_cfg(args))
