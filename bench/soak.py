#!/usr/bin/env python3
"""Soak test: compressed mixed traffic for a bounded time, each service's memory sampled.

    python3 bench/soak.py [--minutes 10] [--rate 60] [--database postgresql://...] [--json]

Inits a fresh appliance in a temporary directory (SQLite, or a PostgreSQL database named by
``--database``: it must be empty), points outbound mail at a loopback SMTP sink, sets
``relay.delay_seconds`` to 1 and starts ``appliance mta``, ``worker`` and ``web``.  Then,
for ``--minutes``:

- new mail over SMTP (``--rate`` per minute, 40 customers), each firing the auto-reply
  automation (A02) that the relay sends after a second;
- customer follow-ups over SMTP (In-Reply-To an earlier message), every 4 s;
- agent answers posted through the panel (login, item page, form with its CSRF token),
  every 3 s, plus list, search and log page requests every second;
- bounce reports (a DSN naming a mail the sink received) every 10 s.

Every ``--sample-seconds`` it reads VmRSS of each service (the process and its children)
from /proc.  When the time is up the traffic stops and the box drains (bounded by
``--drain-timeout``).  Prints, per service, the memory at the end of warm-up (the first
fifth of the run) and at the end; errors in the services' logs; and the accounting: SMTP
messages sent = incoming log rows, new mail = items, outgoing rows all delivered and each
received by the sink exactly once.  Exit status 0 only when all of that holds.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from email import message_from_bytes
from pathlib import Path

# The installed console script (.venv/bin/appliance): benchmarks measure what admins
# install, never the checkout that `python -m appliance` would import from here.
APPLIANCE = str(Path(sys.executable).with_name("appliance"))

DOMAIN = "soak.example"
SERVICES = ("mta", "worker", "web")
ADMIN = (f"admin@{DOMAIN}", "soak-admin-pw-1")
ERROR_PATTERN = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in kB."""
    total = 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            total = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            children = [int(p) for p in fh.read().split()]
    except OSError:
        return total
    return total + sum(rss_kb(child) for child in children)


class Sink:
    """A loopback SMTP server that keeps the Message-ID of everything it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller
        self.received: Counter = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                mid = message_from_bytes(envelope.content)["Message-ID"] or "?"
                with sink.lock:
                    sink.received[mid.strip()] += 1
                return "250 2.0.0 OK"
        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def ids(self) -> list[str]:
        with self.lock:
            return list(self.received)


class Panel:
    """A logged-in browser session against the web service."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode("utf-8", "replace")

    def post(self, path: str, form: dict, page: str) -> None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            response.read()

    def login(self) -> None:
        self.post("/login", {"email": ADMIN[0], "password": ADMIN[1]}, self.get("/login"))


class Soak:
    def __init__(self, args) -> None:
        self.args = args
        self.root = Path(tempfile.mkdtemp(prefix="appliance-soak-"))
        self.data = self.root / "box"
        self.ini = self.data / "appliance.ini"
        self.smtp_port, self.web_port = free_port(), free_port()
        self.procs: dict[str, subprocess.Popen] = {}
        self.samples: dict[str, list[tuple[float, int]]] = {s: [] for s in SERVICES}
        self.sent = Counter()          # what this script sent over SMTP, by kind
        self.customer_ids: list[tuple[str, str]] = []
        self.errors: list[str] = []    # traffic the box refused (should stay empty)
        self.stop = threading.Event()

    def cli(self, *args: str) -> str:
        proc = subprocess.run([APPLIANCE, *args], capture_output=True,
                              text=True, timeout=120)
        if proc.returncode:
            raise RuntimeError(f"appliance {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def setup(self, sink: Sink) -> None:
        extra = ("--database", self.args.database) if self.args.database else ()
        self.cli("init", "--data-dir", str(self.data), "--domain", DOMAIN,
                 "--smtp-listen", f"127.0.0.1:{self.smtp_port}",
                 "--web-listen", f"127.0.0.1:{self.web_port}",
                 "--admin-email", ADMIN[0], "--admin-password", ADMIN[1], *extra)
        # The customers' domain passes SPF from loopback: their replies are authenticated,
        # as they must be to thread by a Message-ID of theirs (issue 11's threading rules).
        (self.data / "dns.json").write_text(json.dumps(
            {"client.example": {"TXT": "v=spf1 ip4:127.0.0.1 -all"}}))
        with open(self.ini, "a", encoding="utf-8") as fh:
            fh.write(f"\n[dns]\ntable = {self.data / 'dns.json'}\n")
        for key, value in (("outbound.mode", "smarthost"),
                           ("outbound.smarthost", f"127.0.0.1:{sink.port}"),
                           ("outbound.security", "none"), ("relay.delay_seconds", "1"),
                           ("automations.max_per_address_hour", "100000"),
                           ("automations.max_per_item_hour", "100000")):
            self.cli("settings", "set", "-c", str(self.ini), key, value)
        for service in SERVICES:
            log = open(self.root / f"{service}.log", "ab")
            self.procs[service] = subprocess.Popen(
                [APPLIANCE, service, "-c", str(self.ini)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
            log.close()
        wait_port(self.smtp_port)
        wait_port(self.web_port)

    # -- traffic --------------------------------------------------------------------------
    def smtp(self, raw: bytes, kind: str, mail_from: str = "customer@client.example") -> None:
        try:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as smtp:
                smtp.sendmail(mail_from, [f"tickets@{DOMAIN}"], raw)
            self.sent[kind] += 1
        except (OSError, smtplib.SMTPException) as exc:
            self.errors.append(f"SMTP {kind}: {exc}")

    def new_mail(self, n: int) -> None:
        who = f"customer{n % 40}@client.example"
        mid = f"<soak-{n}-{time.time_ns()}@client.example>"
        self.smtp((f"From: Customer {n % 40} <{who}>\r\nTo: tickets@{DOMAIN}\r\n"
                   f"Subject: Soak request {n} printer scanner\r\nMessage-ID: {mid}\r\n"
                   f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                   + f"Request {n}: the printer on floor {n % 7} is jammed.\r\n" * 20
                   ).encode(), "new", who)
        self.customer_ids.append((mid, who))

    def follow_up(self, n: int) -> None:
        if not self.customer_ids:
            return
        parent, who = random.choice(self.customer_ids)   # the requester answers
        self.smtp((f"From: Customer <{who}>\r\n"
                   f"To: tickets@{DOMAIN}\r\nSubject: Re: Soak request\r\n"
                   f"Message-ID: <soak-re-{n}-{time.time_ns()}@client.example>\r\n"
                   f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n"
                   f"Content-Type: text/plain\r\n\r\nStill broken ({n}).\r\n").encode(),
                  "follow_up", who)

    def bounce(self, n: int, sink: Sink) -> None:
        ids = sink.ids()
        if not ids:
            return
        target = random.choice(ids)
        self.smtp((f"From: MAILER-DAEMON@client.example\r\nTo: tickets@{DOMAIN}\r\n"
                   f"Subject: Undelivered Mail Returned to Sender\r\n"
                   f"Message-ID: <soak-bounce-{n}-{time.time_ns()}@client.example>\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
                   "report-type=delivery-status; boundary=B\r\n\r\n"
                   "--B\r\nContent-Type: text/plain\r\n\r\nMailbox full.\r\n"
                   "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
                   "Reporting-MTA: dns; mx.client.example\r\n\r\n"
                   "Final-Recipient: rfc822; customer1@client.example\r\nAction: failed\r\n"
                   "Status: 5.2.2\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                   f"Message-ID: {target}\r\n\r\n--B--\r\n").encode(), "bounce", "")

    def panel_requests(self, panel: Panel, n: int, answer: bool) -> None:
        try:
            listing = panel.get("/items")
            ids = [int(i) for i in re.findall(r'href="/items/(\d+)"', listing)]
            panel.get(["/items?q=printer", "/admin/email/incoming", "/admin/email/outgoing",
                       "/items?q=floor+3", "/healthz"][n % 5])
            self.sent["panel_get"] += 2
            if answer and ids:
                item = random.choice(ids[:20])
                page = panel.get(f"/items/{item}")
                panel.post(f"/items/{item}/messages", {"body": f"Agent answer {n}."}, page)
                self.sent["panel_answer"] += 1
        except Exception as exc:   # an HTTP error is a finding, not a crash of the soak
            self.errors.append(f"panel: {exc.__class__.__name__}: {exc}")

    def sampler(self) -> None:
        start = time.monotonic()
        while not self.stop.is_set():
            for service, proc in self.procs.items():
                self.samples[service].append((time.monotonic() - start, rss_kb(proc.pid)))
            self.stop.wait(self.args.sample_seconds)

    def traffic(self, sink: Sink) -> None:
        panel = Panel(self.web_port)
        panel.login()
        deadline = time.monotonic() + self.args.minutes * 60
        per_second = self.args.rate / 60
        owed, tick = 0.0, 0
        while time.monotonic() < deadline:
            began = time.monotonic()
            owed += per_second
            while owed >= 1:
                self.new_mail(self.sent["new"])
                owed -= 1
            if tick % 4 == 3:
                self.follow_up(tick)
            if tick % 10 == 9:
                self.bounce(tick, sink)
            self.panel_requests(panel, tick, answer=tick % 3 == 2)
            tick += 1
            time.sleep(max(0.0, 1 - (time.monotonic() - began)))

    # -- accounting ------------------------------------------------------------------------
    def counts(self, sink: Sink) -> dict:
        from appliance import config
        from appliance.helpdesk.database import open_database
        from appliance.helpdesk.models import IncomingMail, Item, db
        from appliance.helpdesk.relaymodels import RelayEntry
        from appliance.outbound.models import OutgoingMail
        open_database(config.load(self.ini).database, migrate=False)
        try:
            outgoing = Counter(m.status for m in OutgoingMail.select(OutgoingMail.status))
            # suppressed mail (auto-reply protection kept it back, with the reason in the
            # outgoing log) is never sent: every other row must reach the sink once
            ids = [m.message_id for m in OutgoingMail.select(OutgoingMail.message_id)
                   .where(OutgoingMail.status != "suppressed")]
            with sink.lock:
                received = Counter(sink.received)
            return {
                "incoming_log": IncomingMail.select().count(),
                "incoming_failed": IncomingMail.select().where(
                    IncomingMail.action == "failed").count(),
                "items": Item.select().count(),
                "spool_new": len(os.listdir(self.data / "spool" / "new")),
                "relay_pending": RelayEntry.select().where(
                    RelayEntry.state == "pending").count(),
                "outgoing": dict(outgoing),
                "outgoing_total": len(ids),
                "sink_received": sum(received.values()),
                "sink_duplicates": sum(c - 1 for c in received.values() if c > 1),
                "outgoing_missing_at_sink": len(set(ids) - set(received)),
            }
        finally:
            db.obj.close()

    def drained(self, c: dict) -> bool:
        finished = {"delivered", "bounced", "suppressed"}   # suppressed: never sent
        return (c["spool_new"] == 0 and c["relay_pending"] == 0
                and c["incoming_log"] >= sum(v for k, v in self.sent.items()
                                             if not k.startswith("panel"))
                and set(c["outgoing"]) <= finished
                and c["outgoing_missing_at_sink"] == 0)

    def memory(self) -> dict:
        warm_until = self.args.minutes * 60 / 5
        report = {}
        for service, samples in self.samples.items():
            warm = [kb for t, kb in samples if t <= warm_until] or [samples[0][1]]
            end = [kb for _, kb in samples[-5:]]
            report[service] = {"warm_up_mb": round(max(warm) / 1024, 1),
                               "end_mb": round(statistics.median(end) / 1024, 1),
                               "peak_mb": round(max(kb for _, kb in samples) / 1024, 1),
                               "samples": len(samples)}
            report[service]["growth_mb"] = round(report[service]["end_mb"]
                                                 - report[service]["warm_up_mb"], 1)
        return report

    def log_errors(self) -> dict:
        found = {}
        for service in SERVICES:
            path = self.root / f"{service}.log"
            lines = path.read_text(errors="replace").splitlines() if path.exists() else []
            found[service] = [line for line in lines if ERROR_PATTERN.search(line)][:20]
        return found

    def shutdown(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rate", type=float, default=60, help="new messages per minute")
    ap.add_argument("--sample-seconds", type=float, default=3)
    ap.add_argument("--drain-timeout", type=float, default=300)
    ap.add_argument("--database", default="", help="an empty PostgreSQL database's URL")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the directory and logs")
    args = ap.parse_args(argv)
    soak = Soak(args)
    sink = Sink()
    sink.controller.start()
    started = time.monotonic()
    try:
        soak.setup(sink)
        sampler = threading.Thread(target=soak.sampler, daemon=True)
        sampler.start()
        soak.traffic(sink)
        traffic_seconds = time.monotonic() - started
        deadline = time.monotonic() + args.drain_timeout
        while True:
            counts = soak.counts(sink)
            if soak.drained(counts) or time.monotonic() > deadline:
                break
            time.sleep(1)
        drain_seconds = time.monotonic() - started - traffic_seconds
        soak.stop.set()
        sampler.join()
        memory, errors = soak.memory(), soak.log_errors()
    finally:
        soak.stop.set()
        soak.shutdown()
        sink.controller.stop()
        if not args.keep:
            shutil.rmtree(soak.root, ignore_errors=True)
    smtp_sent = sum(v for k, v in soak.sent.items() if not k.startswith("panel"))
    checks = {
        "incoming log = messages sent": counts["incoming_log"] == smtp_sent,
        "no failed intake": counts["incoming_failed"] == 0,
        "one item per new mail": counts["items"] == soak.sent["new"],
        "every outgoing mail at the sink once": counts["outgoing_missing_at_sink"] == 0
        and counts["sink_duplicates"] == 0
        and set(counts["outgoing"]) <= {"delivered", "bounced", "suppressed"},
        "no errors in the logs": not any(errors.values()),
        "no refused traffic": not soak.errors,
        "no growth beyond warm-up": all(m["growth_mb"] <= max(5.0, 0.1 * m["warm_up_mb"])
                                        for m in memory.values()),
    }
    result = {"minutes": args.minutes, "rate_per_minute": args.rate,
              "database": "postgresql" if args.database else "sqlite",
              "traffic_seconds": round(traffic_seconds, 1),
              "drain_seconds": round(drain_seconds, 1), "sent": dict(soak.sent),
              "counts": counts, "memory": memory, "log_errors": errors,
              "traffic_errors": soak.errors[:20], "checks": checks,
              "ok": all(checks.values())}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"soak: {args.minutes} min of traffic on {result['database']}, drained in "
              f"{result['drain_seconds']} s")
        print("sent: " + ", ".join(f"{k}={v}" for k, v in sorted(soak.sent.items())))
        print("counts: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        print(f"{'service':8} {'warm-up MB':>10} {'end MB':>8} {'peak MB':>8} {'growth':>7}")
        for service, m in memory.items():
            print(f"{service:8} {m['warm_up_mb']:>10} {m['end_mb']:>8} {m['peak_mb']:>8} "
                  f"{m['growth_mb']:>+7}")
        for service, lines in errors.items():
            for line in lines:
                print(f"log error {service}: {line}")
        for line in soak.errors[:20]:
            print(f"traffic error: {line}")
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
