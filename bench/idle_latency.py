#!/usr/bin/env python3
"""Idle latency: from the 250 of one mail to its ticket, on an otherwise idle appliance.

    python3 bench/idle_latency.py [--mails 30] [--gap 0.3]

Starts ``appliance mta`` and ``appliance worker`` on a fresh data directory (DNS from an
empty table), sends ``--mails`` single mails ``--gap`` seconds apart and, after each 250,
polls the SQLite file read-only every millisecond until the ticket exists.  The same run
is repeated with the worker's doorbell unheard (a second listener holds it, as when
another worker shares the spool), the reference: the worker finds mail by its 0.1 s poll.
Prints the median and the 90th percentile of each; loopback only.
"""
from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smtp_throughput import Appliance  # noqa: E402


def run(root: Path, args, deaf: bool) -> list[float]:
    box = Appliance(root, "1")
    holder = None
    try:
        box.init()
        if deaf:
            from appliance.mta.spool import Doorbell
            holder = Doorbell(box.data / "spool")
            holder.listen()        # the worker cannot have it: it polls
        box.start("mta", 30)
        box.start("worker", 30)
        time.sleep(1.5)
        db = f"file:{box.data / 'appliance.db'}?mode=ro"
        waits = []
        for n in range(args.mails):
            raw = (f"From: ben@client.example\r\nTo: tickets@box.example\r\nSubject: {n}\r\n"
                   f"Message-ID: <{n}.{time.time_ns()}@client.example>\r\n\r\nHi\r\n").encode()
            with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
                smtp.sendmail("ben@client.example", ["tickets@box.example"], raw)
                accepted = time.perf_counter()
            con = sqlite3.connect(db, uri=True)
            while con.execute("SELECT count(*) FROM item").fetchone()[0] <= n:
                time.sleep(0.001)
            waits.append(time.perf_counter() - accepted)
            con.close()
            time.sleep(args.gap)
        return waits
    finally:
        box.stop()
        if holder:
            holder.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    try:
        for name, deaf in (("doorbell", False), ("poll only (reference)", True)):
            waits = sorted(run(tmp / name.split()[0], args, deaf))
            p90 = waits[int(len(waits) * 0.9) - 1]
            print(f"{name:<24} median {statistics.median(waits) * 1000:6.1f} ms   "
                  f"p90 {p90 * 1000:6.1f} ms   ({len(waits)} mails)")
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
