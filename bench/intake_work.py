#!/usr/bin/env python3
"""Benchmark: the worker's CPU and SQL statements per message, beside a reference install.

    .venv/bin/python -P bench/intake_work.py [--messages 1000 --senders 50]
        [--reference /path/to/other/.venv/bin/python] [--rounds 2] [--profile DIR] [--json]

For each interpreter (this one, and ``--reference``, whose installed ``appliance`` is the
revision to compare with), a child process inits a fresh data directory (SQLite), writes
``--messages`` new mails from ``--senders`` customers into the spool and, in-process:

- **intake**: ``Worker.run_once`` files them all (read, parse, classify, authenticate
  through an empty DNS table, the database effects in batches);
- **center**: ``Worker.center_tick`` with the clock moved on until nothing is left: the
  auto-reply automation (A02) posts its message on every new ticket, the relay composes,
  signs and queues the emails (the burst's hourly limits suppress some, as they would).

It prints CPU milliseconds per message (``time.process_time``: not the wall clock, so
other load on the machine moves it less) and SQL statements per message for each phase,
and the ratio to the reference.  Runs alternate (reference, this, reference, this, ...)
and the best round of each counts.  ``--profile DIR`` writes cProfile data per phase and
prints where the CPU went (SQL built by peewee, SQLite executing, commits, parsing and
classification, composing and signing).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

# where the CPU goes: a function's own time (not its callees') by where it lives, so the
# parts add up to the whole
BUCKETS = [
    ("peewee", ("/peewee.py",)),
    ("SQLite", ("sqlite3.",)),
    ("email package", ("/email/",)),
    ("Jinja2", ("/jinja2/", "/markupsafe/")),
    ("DKIM and RSA", ("/dkim/", "cryptography", "/nacl/")),
    ("appliance", ("/appliance/",)),
]


def child(args) -> dict:
    """One measurement, in this process: what the installed appliance costs."""
    import logging

    import peewee
    appliance = str(Path(sys.executable).with_name("appliance"))
    root = Path(tempfile.mkdtemp(prefix="intake-work-"))
    data = root / "box"
    subprocess.run([appliance, "init", "--data-dir", str(data), "--domain", "box.example"],
                   check=True, capture_output=True)
    ini = data / "appliance.ini"
    (data / "dns.json").write_text("{}")
    ini.write_text(ini.read_text() + f"\n[dns]\ntable = {data / 'dns.json'}\n")
    subprocess.run([appliance, "settings", "set", "-c", str(ini), "relay.delay_seconds", "1"],
                   check=True, capture_output=True)

    from appliance import clock
    from appliance.config import load
    from appliance.helpdesk import worker
    from appliance.helpdesk.database import open_database
    from appliance.mta.spool import Envelope, Spool

    logging.disable(logging.WARNING)
    cfg = load(str(ini))
    spool = Spool(cfg.spool_dir).ensure()
    body = b"".join(b"%d" % i + b"X" * 77 + b"\r\n" for i in range(48))
    for i in range(args.messages):
        who = f"customer{i % args.senders}@client{i % args.senders}.example"
        raw = (f"From: <{who}>\r\nTo: <tickets@box.example>\r\n"
               f"Date: Thu, 3 Dec 2026 17:46:43 +0000\r\nMessage-Id: <{i}.bench@vm>\r\n"
               f"Subject: Printer {i} does not print\r\n\r\n").encode() + body
        spool.write(Envelope(mail_from=who, rcpt_tos=["tickets@box.example"],
                             peer="192.0.2.7", helo="mx.client.example"), raw)
    open_database(cfg.database, create=False)
    box = worker.Worker(cfg)
    box.refresh_captures()

    statements = collections.Counter()
    execute_sql = peewee.Database.execute_sql

    def counted(self, sql, params=None, *rest, **kw):
        statements[sql.split(None, 1)[0].upper()] += 1
        return execute_sql(self, sql, params, *rest, **kw)
    peewee.Database.execute_sql = counted

    def center() -> dict:
        done: collections.Counter = collections.Counter()
        for turn in range(1, 100):
            counts = box.center_tick(clock.now() + timedelta(seconds=5 * turn))
            done.update(counts)
            if not any(counts.values()):
                break
        return dict(done)

    result = {}
    for name, work in (("intake", lambda: box.run_once(limit=args.messages + 10)),
                       ("center", center)):
        statements.clear()
        profile = None
        if args.profile:
            import cProfile
            profile = cProfile.Profile(time.process_time)   # CPU, not waiting
            profile.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = work()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profile is not None:
            profile.disable()
            profile.dump_stats(str(Path(args.profile) / f"{args.tag}.{name}.prof"))
        result[name] = {"cpu_ms_per_msg": 1000 * cpu / args.messages,
                        "wall_s": wall, "outcome": outcome,
                        "statements_per_msg": sum(statements.values()) / args.messages,
                        "statements": dict(statements.most_common())}
    return result


def breakdown(path: Path, messages: int) -> list[tuple[str, float]]:
    """CPU ms per message by :data:`BUCKETS` (the rest: "other") in one cProfile file."""
    import pstats
    totals: dict[str, float] = collections.Counter()
    for (filename, _, name), (_, _, own, _, _) in pstats.Stats(str(path)).stats.items():
        where = filename if filename != "~" else name
        label = next((label for label, marks in BUCKETS
                      if any(mark in where for mark in marks)), "other")
        totals[label] += own
    return [(label, 1000 * totals[label] / messages)
            for label in [b[0] for b in BUCKETS] + ["other"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--senders", type=int, default=50)
    ap.add_argument("--reference", default="", metavar="PYTHON",
                    help="another interpreter whose installed appliance is the reference")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile", default="", metavar="DIR")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tag", default="this", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    runs = [("this", sys.executable)] + ([("reference", args.reference)]
                                         if args.reference else [])
    best: dict[str, dict] = {}
    print(f"{args.messages} new mails from {args.senders} senders; load average "
          f"{os.getloadavg()[0]:.1f} before", flush=True)
    for _ in range(args.rounds):
        for tag, python in reversed(runs):
            cmd = [python, "-P", __file__, "--child", "--tag", tag,
                   "--messages", str(args.messages), "--senders", str(args.senders)]
            if args.profile:
                cmd += ["--profile", args.profile]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            total = sum(got[p]["cpu_ms_per_msg"] for p in ("intake", "center"))
            if tag not in best or total < best[tag]["total_cpu_ms_per_msg"]:
                best[tag] = {**got, "total_cpu_ms_per_msg": total}
    if args.json:
        print(json.dumps(best, indent=2))
        return 0
    for tag, got in best.items():
        print(f"{tag:>9}: intake {got['intake']['cpu_ms_per_msg']:.2f} ms CPU and "
              f"{got['intake']['statements_per_msg']:.1f} statements per message; center "
              f"{got['center']['cpu_ms_per_msg']:.2f} ms and "
              f"{got['center']['statements_per_msg']:.1f} statements "
              f"({got['center']['outcome']}); total {got['total_cpu_ms_per_msg']:.2f} ms")
    if "reference" in best:
        ratio = best["reference"]["total_cpu_ms_per_msg"] / best["this"]["total_cpu_ms_per_msg"]
        print(f"reference / this (CPU per message): {ratio:.2f}")
    if args.profile:
        for tag in best:
            for phase in ("intake", "center"):
                path = Path(args.profile) / f"{tag}.{phase}.prof"
                parts = ", ".join(f"{label} {ms:.2f}" for label, ms in
                                  breakdown(path, args.messages) if ms >= 0.05)
                print(f"{tag:>9} {phase} (ms per message, under cProfile): {parts}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
