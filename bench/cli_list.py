"""Benchmark: ``appliance items list`` on 100,000 items (issue 15, point 6).

Makes a data directory with ``appliance init`` and fills it as ``web_lists.py`` does
(100,000 items, a message each; ``--logs`` mail-log entries), then times the installed
command for the first page, a page deep in the list and (``--all``) every item, each
``--rounds`` times, beside the reference in the same run: the same page's rows read with
one plain ``sqlite3`` query and turned into JSON (what no helpdesk logic can beat).  The
command's time includes starting Python; the reference's does not, so the start-up of
``appliance --help`` is measured as well.  Prints medians and the load average.

    python3 bench/cli_list.py [--items 100000] [--logs 0] [--rounds 5] [--all]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_lists import APPLIANCE, fill  # noqa: E402


def timed(cmd: list[str], rounds: int) -> tuple[float, int]:
    runs, count = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True).stdout
        runs.append(time.perf_counter() - started)
        count = len(json.loads(out)) if out.startswith(b"[") else 0
    return statistics.median(runs), count


def reference(db: Path, offset: int, limit: int, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        started = time.perf_counter()
        con = sqlite3.connect(db)
        rows = con.execute("SELECT i.id, i.title, i.status, p.email FROM item i LEFT JOIN "
                           "person p ON p.id = i.requester_id ORDER BY i.created_at DESC, "
                           "i.id DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        json.dumps([list(r) for r in rows])
        con.close()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--logs", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="also list every item")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    root = tmp / "box"
    try:
        subprocess.run([APPLIANCE, "init", "--data-dir", str(root), "--domain", "box.example",
                        "--admin-email", "admin@box.example", "--admin-password",
                        "admin-pw-123"], check=True, stdout=subprocess.DEVNULL)
        fill(root / "appliance.db", args.items, args.logs)
        ini = str(root / "appliance.ini")
        base = [APPLIANCE, "items", "list", "-c", ini, "--json"]
        start, _ = timed([APPLIANCE, "--help"], args.rounds)
        print(f"{args.items:,} items; python start-up (appliance --help): {start * 1000:.0f} ms")
        print(f"{'command':<44} {'median':>9} {'rows':>7} {'reference':>10}")
        cases = [("first page (default --limit 1000)", [], 0, 1000),
                 ("--offset 90000 --limit 1000", ["--offset", "90000", "--limit", "1000"],
                  90_000, 1000)]
        if args.all:
            cases.append(("--limit 0 (all)", ["--limit", "0"], 0, args.items))
        for name, extra, offset, limit in cases:
            took, rows = timed(base + extra, args.rounds)
            ref = reference(root / "appliance.db", offset, limit, args.rounds)
            print(f"{name:<44} {took * 1000:7.0f} ms {rows:7,d} {ref * 1000:8.0f} ms")
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
