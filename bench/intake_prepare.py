"""Benchmark: the CPU cost of intake's preparation of one message, in-process, no database.

What the worker does for each spool entry before its write transaction: read the message
within ``mta.limits``, parse it, classify it, authenticate it (SPF, DKIM, DMARC, ARC;
here through an empty DNS table, so no waiting) and write its attachments.  Timed per
stage (:data:`STAGES`) so a change to parsing shows where it went.  The messages are the
labelled samples that ``bench/classify_speed.py`` uses.  Runs the ``appliance`` the
interpreter imports (the installed wheel): install another tree to compare.

    .venv/bin/python -P bench/intake_prepare.py [--rounds 5] [--repeat 3] [--json]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from appliance import dnsresolver
from appliance.helpdesk import classify, intake
from appliance.helpdesk.mailparse import parse_message
from appliance.mta import limits
from appliance.mta.auth import authenticate
from appliance.mta.spool import Entry, Envelope

HERE = Path(__file__).resolve().parent
# read + parse; prepare without authentication (read, parse, classify, attachments);
# authentication alone; the whole prepare
STAGES = ("parse", "prepare_without_auth", "authenticate", "prepare")


def labelled_cases() -> list[dict]:
    """The sample set of ``classify_speed.py`` (one place for which messages count)."""
    spec = importlib.util.spec_from_file_location("classify_speed", HERE / "classify_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.labelled_cases()


def entries(cases: list[dict]) -> list[tuple[Entry, classify.Context]]:
    out = []
    for n, c in enumerate(cases):
        env = Envelope(mail_from=c["mail_from"], rcpt_tos=list(c["rcpt"]), peer="192.0.2.7",
                       helo="mx.client.example")
        ctx = classify.context_from_args(c["rcpt"], c["agents"], c["agent_forwarding"])
        out.append((Entry(f"bench{n}", env, Path(c["path"]).read_bytes()), ctx))
    return out


def stages(work, attachments: Path) -> dict[str, float]:
    """Seconds for one pass over ``work``, per stage and for :func:`intake.prepare`."""
    resolver = dnsresolver.TableResolver({})
    times = dict.fromkeys(STAGES, 0.0)

    def check(entry: Entry):
        return authenticate(entry.raw, peer_ip=entry.envelope.peer, helo=entry.envelope.helo,
                            mail_from=entry.envelope.mail_from, resolver=resolver,
                            authserv_id="box.example")
    for entry, ctx in work:
        t0 = time.perf_counter()
        bounded = limits.bound(entry.raw)
        parse_message(bounded.raw, headers_only=not bounded.body_ok)
        t1 = time.perf_counter()
        intake.prepare(entry, intake.IntakeContext("box.example", attachments, {}, ctx))
        t2 = time.perf_counter()
        check(entry)
        t3 = time.perf_counter()
        intake.prepare(entry, intake.IntakeContext("box.example", attachments, {}, ctx,
                                                   authenticate=check))
        t4 = time.perf_counter()
        for name, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            times[name] += seconds
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the set per round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = entries(labelled_cases())
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        stages(work, Path(tmp))     # warm-up: imports, regex compilation
        rounds = []
        for _ in range(args.rounds):
            total = dict.fromkeys(STAGES, 0.0)
            for _ in range(args.repeat):
                for name, seconds in stages(work, Path(tmp)).items():
                    total[name] += seconds
            rounds.append(total)
    per = len(work) * args.repeat
    report = {"messages": len(work), "load_average": os.getloadavg(),
              "us_per_message": {name: statistics.median(r[name] for r in rounds) / per * 1e6
                                 for name in rounds[0]}}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{len(work)} messages, load average {report['load_average'][0]:.2f}")
    for name, us in report["us_per_message"].items():
        print(f"{name:21} {us:7.0f} us per message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
