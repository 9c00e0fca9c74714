#!/usr/bin/env python3
"""Memory of the MTA under big DATA: many sessions that never finish, or big messages.

    python3 bench/mta_memory.py [--sessions 40 --mib 24 --processes 1] [--json]
    python3 bench/mta_memory.py --complete [--clients 4 --mb 25] [--json]

Inits a fresh appliance in a temporary directory and starts ``appliance mta`` alone (no
worker, so only the SMTP edge is measured).  Memory is read from /proc/PID/status of the
MTA process(es): VmRSS (resident now) and VmHWM (the kernel's peak resident set, reset
between phases through /proc/PID/clear_refs).

Default (issue 11's attack): the idle MTA is the reference; then one session, then
``--sessions`` sessions at once, each send ``--mib`` MiB of DATA in ``--line``-byte lines
and never the final ``.``.  Once the MTA has read everything (its CPU time stands still) the
peak is read, the sessions are dropped, and the spool's ``tmp/`` must be empty again.
``--complete``: ``--clients`` whole messages of ``--mb`` MB at once, each must get 250.

Loopback only; stops everything it started and removes the directory; every wait is
bounded by ``--timeout``.
"""
from __future__ import annotations

import argparse
import configparser
import json
import os
import signal
import shutil
import smtplib
import socket
import sys
import tempfile
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


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def reset_peak(pids: list[int]) -> bool:
    """Reset VmHWM to the current VmRSS (Linux 4.0+, the process's owner or root)."""
    try:
        for pid in pids:
            with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
        return True
    except OSError:
        return False


def mta_pids(root_pid: int) -> list[int]:
    """The MTA process and its forked children (smtp.processes > 1)."""
    pids = [root_pid]
    try:
        with open(f"/proc/{root_pid}/task/{root_pid}/children", encoding="ascii") as fh:
            pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return pids


def mib(kb_by_pid: dict) -> float:
    return sum(kb_by_pid.values()) / 1024


def set_smtp(box: Appliance, **values) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(box.ini, encoding="utf-8")
    if not parser.has_section("smtp"):
        parser.add_section("smtp")
    for key, value in values.items():
        parser.set("smtp", key, str(value))
    with open(box.ini, "w", encoding="utf-8") as fh:
        parser.write(fh)


def allow_sessions(box: Appliance, count: int) -> None:
    """All sessions come from 127.0.0.1: lift the connection caps above them (only where
    the appliance has them; the ini refuses keys it does not know)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from appliance.config import BOOTSTRAP
    if "smtp.max_connections_per_ip" in BOOTSTRAP:
        set_smtp(box, max_connections=count + 10, max_connections_per_ip=count + 10)


def wait_idle(pids: list[int], deadline: float, still: float = 1.0) -> None:
    """Until the MTA's CPU time stops moving for ``still`` seconds: it has read what the
    sockets held (bytes sent are not yet bytes read)."""
    last, since = cpu_ticks(pids), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = cpu_ticks(pids)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return
    raise BenchError("the MTA kept busy until the timeout")


def open_unfinished(port: int, count: int, size: int, line_len: int,
                    deadline: float) -> list[socket.socket]:
    """``count`` sessions that each send ``size`` bytes of DATA and leave it unfinished."""
    line = b"x" * (line_len - 2) + b"\r\n"
    chunk = line * max(1, (1 << 20) // len(line))
    head = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: never finished\r\n\r\n").encode()
    socks: list = [None] * count
    errors: list[str] = []

    def session(i: int) -> None:
        try:
            s = socket.create_connection(("127.0.0.1", port),
                                         timeout=max(1.0, deadline - time.monotonic()))
            socks[i] = s
            f = s.makefile("rb")
            assert f.readline().startswith(b"220"), "no greeting"
            for cmd, want in ((b"EHLO memory.client.example", b"250"),
                              (f"MAIL FROM:<{SENDER}>".encode(), b"250"),
                              (f"RCPT TO:<{RCPT}>".encode(), b"250"), (b"DATA", b"354")):
                s.sendall(cmd + b"\r\n")
                reply = f.readline()
                while reply[3:4] == b"-":  # a multi-line reply: read to its last line
                    reply = f.readline()
                if not reply.startswith(want):
                    raise BenchError(f"session {i}: {cmd!r} answered {reply!r}")
            s.sendall(head)
            sent = len(head)
            while sent + len(chunk) <= size:
                s.sendall(chunk)
                sent += len(chunk)
            s.sendall(line * ((size - sent) // len(line)))
        except (OSError, AssertionError, BenchError) as exc:
            errors.append(f"session {i}: {exc!r}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if errors or any(t.is_alive() for t in threads):
        close_all(socks)
        raise BenchError("; ".join(errors[:5]) or "sending did not finish before the timeout")
    return socks


def close_all(socks: list) -> None:
    for s in socks:
        if s is not None:
            s.close()


def tmp_files(box: Appliance) -> int:
    return sum(1 for _ in (box.data / "spool" / "tmp").iterdir())


def bench_unfinished(box: Appliance, args, deadline: float) -> dict:
    pids = mta_pids(box.procs["mta"].pid)
    size = int(args.mib * (1 << 20))
    result: dict = {"mode": "unfinished", "pids": pids, "bytes_per_session": size,
                    "line_bytes": args.line, "idle_rss_kb": {p: status_kb(p, "VmRSS")
                                                             for p in pids}}
    result["peak_reset"] = reset_peak(pids)
    for label, count in (("one", 1), ("many", args.sessions)):
        reset_peak(pids)
        start = time.monotonic()
        socks = open_unfinished(box.smtp_port, count, size, args.line, deadline)
        try:
            wait_idle(pids, deadline)
            result[f"{label}_sessions"] = count
            result[f"{label}_seconds"] = time.monotonic() - start
            result[f"{label}_rss_kb"] = {p: status_kb(p, "VmRSS") for p in pids}
            result[f"{label}_peak_kb"] = {p: status_kb(p, "VmHWM") for p in pids}
            result[f"{label}_tmp_files"] = tmp_files(box)
        finally:
            close_all(socks)
        while tmp_files(box) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        result[f"{label}_after_rss_kb"] = {p: status_kb(p, "VmRSS") for p in pids}
        result[f"{label}_tmp_left"] = tmp_files(box)
    if result["many_tmp_left"] or result["one_tmp_left"]:
        raise BenchError(f"{result['many_tmp_left']} temporary spool file(s) left behind")
    return result


def message(index: int, size: int) -> bytes:
    head = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: big message {index}\r\n"
            f"Message-ID: <memory-{index}-{time.time_ns()}@client.example>\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode()
    line = b"x" * 998 + b"\r\n"
    return head + line * ((size - len(head)) // len(line))


def bench_complete(box: Appliance, args, deadline: float) -> dict:
    pids = mta_pids(box.procs["mta"].pid)
    result: dict = {"mode": "complete", "clients": args.clients, "pids": pids,
                    "baseline_rss_kb": {p: status_kb(p, "VmRSS") for p in pids}}
    reset_peak(pids)
    # stay under the 25 MB limit (26214400 bytes) with room for the envelope
    size = min(int(args.mb * 1_000_000), 26_214_400 - 4096)
    bodies = [message(i, size) for i in range(args.clients)]
    result["message_bytes"] = len(bodies[0])
    replies: list = [None] * args.clients
    barrier = threading.Barrier(args.clients)

    def send(i: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", box.smtp_port,
                              timeout=max(1.0, deadline - time.monotonic())) as s:
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
        t.join(max(0.0, deadline - time.monotonic()))
    result["seconds"] = time.monotonic() - start
    result["replies"] = replies
    result["peak_rss_kb"] = {p: status_kb(p, "VmHWM") for p in pids}
    result["after_rss_kb"] = {p: status_kb(p, "VmRSS") for p in pids}
    if any(r != "250" for r in replies):
        raise BenchError(f"not every message was accepted: {replies}")
    return result


def report(result: dict, args) -> None:
    procs = len(result["pids"])
    if result["mode"] == "complete":
        base, peak = mib(result["baseline_rss_kb"]), mib(result["peak_rss_kb"])
        mb = result["message_bytes"] / 1e6
        print(f"{args.clients} messages of {mb:.1f} MB at once into {procs} MTA "
              f"process(es), all accepted in {result['seconds']:.2f} s")
        print(f"MTA resident memory: baseline {base:.1f} MiB, peak (VmHWM) {peak:.1f} MiB, "
              f"{(peak - base) / args.clients:.1f} MiB per message in flight")
        return
    idle = mib(result["idle_rss_kb"])
    size = result["bytes_per_session"] / (1 << 20)
    print(f"MTA: {procs} process(es); each session sends {size:.0f} MiB of DATA in "
          f"{result['line_bytes']}-byte lines and never the final dot")
    print(f"idle:        RSS {idle:7.1f} MiB")
    for label in ("one", "many"):
        n = result[f"{label}_sessions"]
        peak, after = mib(result[f"{label}_peak_kb"]), mib(result[f"{label}_after_rss_kb"])
        print(f"{n:3d} session{'s' if n > 1 else ' '}: peak {peak:7.1f} MiB "
              f"(+{peak - idle:6.1f} over idle, {(peak - idle) / n:5.2f} MiB per session, "
              f"{n * size:.0f} MiB of DATA in flight); after the sessions dropped "
              f"{after:.1f} MiB; {result[f'{label}_tmp_files']} temp file(s) while open, "
              f"{result[f'{label}_tmp_left']} after")
    one = mib(result["one_peak_kb"]) - idle
    many = mib(result["many_peak_kb"]) - idle
    print(f"growth for {result['many_sessions']} sessions vs 1: {many:.1f} vs {one:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=40, help="unfinished sessions at once")
    ap.add_argument("--mib", type=float, default=24, help="DATA per session, in MiB")
    ap.add_argument("--line", type=int, default=78, help="line length with CRLF")
    ap.add_argument("--complete", action="store_true",
                    help="whole messages instead (--clients, --mb)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mb", type=float, default=25, help="message size in MB (10^6 bytes)")
    ap.add_argument("--processes", default="1", help="smtp.processes for the appliance")
    ap.add_argument("--timeout", type=float, default=180)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    deadline = time.monotonic() + args.timeout
    tmp = Path(tempfile.mkdtemp(prefix="appliance-membench-"))
    box = Appliance(tmp, args.processes)
    try:
        box.init()
        allow_sessions(box, max(args.sessions, args.clients))
        box.start("mta", 30)
        time.sleep(0.5)  # let forked children start
        result = (bench_complete if args.complete else bench_unfinished)(box, args, deadline)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        box.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result, args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
