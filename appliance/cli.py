"""The ``appliance`` command.  Expected errors (bad input, missing file, port in use) end
with a one-line message on stderr and a non-zero exit code, never a traceback."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from appliance import __version__, config
from appliance.settings import SettingError

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 64, 65, 67, 75


class CommandError(Exception):
    """An error a person can act on; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def emit(doc, as_json: bool, text: str | None = None) -> None:
    if as_json and isinstance(doc, list):
        # one element per line, each by the C encoder: 100,000 items indented by the
        # pure-Python one took 6 s
        sys.stdout.write("[\n" + ",\n".join(json.dumps(d, ensure_ascii=False) for d in doc)
                         + ("\n]\n" if doc else "]\n"))
    elif as_json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(text if text is not None else json.dumps(doc, ensure_ascii=False, indent=1))


def setup_logging(level: str = "info") -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # aiosmtpd logs every command at INFO; our own lines say what happened to each message.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def load_cfg(args) -> config.Config:
    cfg = config.load(args.config)
    setup_logging(cfg.get("appliance.log_level"))
    return cfg


def open_db(args) -> config.Config:
    from appliance.helpdesk.database import open_database
    cfg = load_cfg(args)
    open_database(cfg.database, create=False)
    return cfg


def build_parser() -> argparse.ArgumentParser:
    from appliance import commands
    parser = argparse.ArgumentParser(
        prog="appliance", description="Self-hosted support mail appliance.")
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # the database, ini, spool and keys are the service user's alone
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except CommandError as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return exc.code
    except (config.ConfigError, SettingError) as exc:
        print(f"appliance: {exc}", file=sys.stderr)
        return getattr(args, "config_error_code", 2)
    except OSError as exc:
        if exc.errno == 98:  # EADDRINUSE
            print(f"appliance: address already in use: {exc}; is another instance "
                  f"running, or change the listen address in the ini", file=sys.stderr)
        else:
            print(f"appliance: {exc}", file=sys.stderr)
        return getattr(args, "config_error_code", 1)
    except KeyboardInterrupt:
        return 130


def add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", default=os.environ.get("APPLIANCE_CONFIG"),
                   help="the appliance.ini (default $APPLIANCE_CONFIG, then "
                        f"{config.DEFAULT_PATH})")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document")


def read_stdin_or_file(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"no such file: {name}")
    return path.read_bytes()
