#!/usr/bin/env python3
"""Intake with real DNS: tickets per second when every lookup goes to a slow DNS server.

    python3 bench/dns_intake.py [--messages 500 --domains 50 --delay 0.05] [--json]

Starts a DNS server of its own on loopback (UDP; each answer sent ``--delay`` seconds
after the query, answers concurrent, TTL ``--ttl``) holding for each of ``--domains``
sender domains an SPF record with an include, a DMARC record and, for the HELO name, an
SPF record; so each message needs about five TXT lookups, as in production.  A fresh
appliance is pointed at it (``[dns] nameservers``, ``port``), the messages are queued with
the worker stopped, then the worker is started and timed until every ticket exists.

Three runs in one command, on the same messages:
- reference: ``[dns] table`` (answers from a file, no network, no waiting);
- the slow server (``--delay``);
- a server that never answers (the cut-out of silent nameservers at work).
Loopback only; the system resolver is never asked.  Prints tickets/s and the load average.
"""
from __future__ import annotations

import argparse
import configparser
import heapq
import json
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smtp_throughput import Appliance, BenchError  # noqa: E402

DOMAIN = "box.example"


def zone(domains: int) -> dict[tuple[str, str], list[str]]:
    records: dict[tuple[str, str], list[str]] = {}
    for n in range(domains):
        d = f"sender{n}.example"
        records[(d, "TXT")] = [f'"v=spf1 include:_spf.{d} -all"']
        records[(f"_spf.{d}", "TXT")] = ['"v=spf1 ip4:127.0.0.1 -all"']
        records[(f"_dmarc.{d}", "TXT")] = ['"v=DMARC1; p=none"']
        records[(f"mx.{d}", "TXT")] = ['"v=spf1 ip4:127.0.0.1 -all"']
    return records


class SlowDNS:
    """A UDP DNS server on loopback; ``delay=None``: never answers.  Cheap per query (a
    reply's bytes are made once per question and given each query's id; one thread
    sends the replies when due), so the server is never what limits intake here: a
    Timer thread and a full parse per query held it to a few hundred queries a second
    beside a busy worker."""

    def __init__(self, records: dict, delay: float | None, ttl: int) -> None:
        self.records, self.delay, self.ttl = records, delay, ttl
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self._wires: dict[bytes, bytes] = {}   # question bytes -> reply (id 0)
        self._due: list = []                   # (when, n, wire, peer), a heap
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, daemon=True),
                         threading.Thread(target=self._send_due, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            self.queries += 1
            if self.delay is None or len(data) < 12:
                continue
            question = data[12:]
            wire = self._wires.get(question)
            if wire is None:
                try:
                    wire = self._wires[question] = self._reply(
                        dns.message.from_wire(data)).to_wire()
                except Exception:
                    continue
            with self._cond:
                heapq.heappush(self._due, (time.monotonic() + self.delay, self.queries,
                                           data[:2] + wire[2:], peer))
                self._cond.notify()

    def _send_due(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._due and not self._stop.is_set():
                    self._cond.wait(0.1)
                if not self._due:
                    continue
                when, _, wire, peer = self._due[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._due)
            try:
                self.sock.sendto(wire, peer)
            except OSError:
                pass

    def _reply(self, query):
        reply = dns.message.make_response(query)
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        if (name, rdtype) in self.records:
            reply.answer.append(dns.rrset.from_text_list(q.name, self.ttl, "IN", rdtype,
                                                         self.records[(name, rdtype)]))
        elif not any(n == name for n, _ in self.records):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()
        self.sock.close()


def message(n: int, domains: int) -> tuple[str, bytes]:
    sender = f"user{n}@sender{n % domains}.example"
    raw = (f"From: User {n} <{sender}>\r\nTo: tickets@{DOMAIN}\r\n"
           f"Subject: Request {n}\r\nMessage-ID: <{n}.{time.time_ns()}@sender.example>\r\n"
           f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n\r\nPlease help with {n}.\r\n")
    return sender, raw.encode()


def worker_started(box: Appliance) -> float:
    """When the worker logged that it runs (epoch seconds, local time as logged)."""
    for line in (box.root / "worker.log").read_text(errors="replace").splitlines():
        if " started: spool " in line:
            stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            return stamp.timestamp()
    raise BenchError("the worker's log has no start line")


def run_case(root: Path, args, dns_port: int | None) -> dict:
    box = Appliance(root, "1", args.worker_processes)
    try:
        box.init()
        if dns_port is not None:
            parser = configparser.ConfigParser(interpolation=None)
            parser.read(box.ini, encoding="utf-8")
            parser.remove_option("dns", "table")
            parser.set("dns", "nameservers", "127.0.0.1")
            parser.set("dns", "port", str(dns_port))
            parser.set("dns", "timeout", "1")
            with open(box.ini, "w", encoding="utf-8") as fh:
                parser.write(fh)
        box.start("mta", 30)
        with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=60) as smtp:
            smtp.ehlo("mx.sender0.example")
            for n in range(args.messages):
                sender, raw = message(n, args.domains)
                smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)
        box.start("worker", 30)
        # from the moment the worker was up (its log line's time): its start-up, half a
        # second or more of imports, is no part of how fast it files mail
        started = worker_started(box)
        deadline = time.time() + args.timeout
        while box.processed()[0] < args.messages:
            if time.time() > deadline:
                raise BenchError(f"only {box.processed()[0]} of {args.messages} tickets "
                                 f"after {args.timeout} s")
            time.sleep(0.02)
        took = time.time() - started
        return {"seconds": round(took, 2), "tickets_per_s": round(args.messages / took, 1)}
    finally:
        box.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--ttl", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--worker-processes", default="",
                        help="worker.processes for the appliance (default: the ini's)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-dns-"))
    records = zone(args.domains)
    results = {}
    try:
        results["table (reference)"] = run_case(tmp / "table", args, None)
        slow = SlowDNS(records, args.delay, args.ttl)
        try:
            results[f"DNS answering after {args.delay * 1000:.0f} ms, TTL {args.ttl}"] = \
                {**run_case(tmp / "slow", args, slow.port), "queries": slow.queries}
        finally:
            slow.close()
        silent = SlowDNS(records, None, args.ttl)
        try:
            results["DNS that never answers"] = \
                {**run_case(tmp / "silent", args, silent.port), "queries": silent.queries}
        finally:
            silent.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"messages": args.messages, "domains": args.domains,
                          "results": results, "load_average": load}, indent=1))
    else:
        print(f"{args.messages} messages from {args.domains} domains, worker started after "
              f"the send")
        for name, r in results.items():
            extra = f", {r['queries']} DNS queries" if "queries" in r else ""
            print(f"{name:<40} {r['tickets_per_s']:7.1f} tickets/s ({r['seconds']} s{extra})")
        print(f"load average {load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
