"""What every command uses: its options (``-c``, ``--json``), the config and the database
it opens, how it prints, and the exit codes of ``appliance ingest``."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from appliance import config
from appliance.errors import CommandError

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 64, 65, 67, 75


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
    # The format uses none of these: a record need not look up its caller's frame, thread
    # or process (the logging HOWTO's "Optimization"); the MTA logs a line per message, and
    # making its record was a tenth of the MTA's Python time.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
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
