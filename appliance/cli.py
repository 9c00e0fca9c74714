"""The ``appliance`` command.  Expected errors (bad input, missing file, port in use) end
with a one-line message on stderr and a non-zero exit code, never a traceback."""
from __future__ import annotations

import argparse
import os
import sys

from appliance import __version__, config
from appliance.errors import CommandError
from appliance.settings import SettingError


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
