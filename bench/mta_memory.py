#!/usr/bin/env python3
"""Peak memory of the MTA while it receives four 25 MB messages at once.

    python3 bench/mta_memory.py [--clients 4 --mb 25 --processes N] [--json]

Inits a fresh appliance in a temporary directory, starts ``appliance mta`` alone (no
worker, so only the SMTP edge is measured), reads each MTA process's resident memory
(VmRSS, baseline) from /proc/PID/status, sends the messages with parallel smtplib clients
over loopback, then reads VmHWM (the kernel's peak resident set) of each process.  Stops
everything it started and removes the directory; bounded by ``--timeout``.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import smtplib
import sys
import tempfile
import shutil
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smtp_throughput import RCPT, SENDER, Appliance, BenchError  # noqa: E402


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def mta_pids(root_pid: int) -> list[int]:
    """The MTA process and its forked children (smtp.processes > 1)."""
    pids = [root_pid]
    try:
        with open(f"/proc/{root_pid}/task/{root_pid}/children", encoding="ascii") as fh:
            pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return pids


def message(index: int, size: int) -> bytes:
    head = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: big message {index}\r\n"
            f"Message-ID: <memory-{index}-{time.time_ns()}@client.example>\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode()
    line = b"x" * 998 + b"\r\n"
    return head + line * ((size - len(head)) // len(line))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mb", type=float, default=25, help="message size in MB (10^6 bytes)")
    ap.add_argument("--processes", default=None, help="smtp.processes for the appliance")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="appliance-membench-"))
    box = Appliance(tmp, args.processes)
    result: dict = {"clients": args.clients, "message_bytes": 0}
    try:
        box.init()
        box.start("mta", 30)
        time.sleep(0.5)  # let forked children start
        pids = mta_pids(box.procs["mta"].pid)
        result["pids"] = pids
        result["baseline_rss_kb"] = {p: status_kb(p, "VmRSS") for p in pids}
        # stay under the 25 MB limit (26214400 bytes) with room for the envelope
        size = min(int(args.mb * 1_000_000), 26_214_400 - 4096)
        bodies = [message(i, size) for i in range(args.clients)]
        result["message_bytes"] = len(bodies[0])
        replies: list = [None] * args.clients
        barrier = threading.Barrier(args.clients)

        def send(i: int) -> None:
            try:
                with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=args.timeout) as s:
                    s.ehlo("memory.client.example")
                    barrier.wait(timeout=30)
                    replies[i] = s.sendmail(SENDER, [RCPT], bodies[i]) or "250"
            except (OSError, smtplib.SMTPException, threading.BrokenBarrierError) as exc:
                replies[i] = f"error: {exc!r}"

        start = time.monotonic()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.timeout)
        result["seconds"] = time.monotonic() - start
        result["replies"] = replies
        result["peak_rss_kb"] = {p: status_kb(p, "VmHWM") for p in pids}
        result["after_rss_kb"] = {p: status_kb(p, "VmRSS") for p in pids}
        if any(r != "250" for r in replies):
            raise BenchError(f"not every message was accepted: {replies}")
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        box.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    base = sum(result["baseline_rss_kb"].values()) / 1024
    peak = sum(result["peak_rss_kb"].values()) / 1024
    mb = result["message_bytes"] / 1e6
    print(f"{args.clients} messages of {mb:.1f} MB at once into {len(result['pids'])} MTA "
          f"process(es), all accepted in {result['seconds']:.2f} s")
    print(f"MTA resident memory: baseline {base:.1f} MiB, peak (VmHWM) {peak:.1f} MiB, "
          f"{(peak - base) / args.clients:.1f} MiB per message in flight "
          f"({(peak - base) * 1.048576 / (args.clients * mb):.1f}x its size)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
