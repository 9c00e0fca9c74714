#!/usr/bin/env python3
"""SMTP intake throughput: the appliance against a private Postfix, same load, same run.

    python3 bench/smtp_throughput.py [--messages 2000 --sessions 20 --size 4096] [--json]

(a) inits a fresh appliance data directory in a temporary directory, starts its ``mta`` and
``worker``, sends the load with Postfix's ``smtp-source`` and measures messages per second
accepted (until smtp-source returns: every 250 came after an fsync of file and directory)
and the time until the last ticket exists (the database polled read-only);
(b) configures a private Postfix instance (own config, queue and data directories, its own
log file, a loopback port, maildir delivery; see ../shared/TESTING.md), sends the same load
and measures messages per second until smtp-source returns and until every maildir file
exists.  Prints both, their ratio (appliance / Postfix) and the last-ticket latency.

Everything runs on loopback; everything started is stopped and removed, also on errors or
Ctrl-C; every wait is bounded (``--timeout``).
"""
from __future__ import annotations

import argparse
import configparser
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postfixlab import (PostfixError, PrivatePostfix, free_port, run, tool,  # noqa: E402

                        wait_for)

# The installed console script (.venv/bin/appliance): benchmarks measure what admins
# install, never the checkout that `python -m appliance` would import from here.
APPLIANCE = str(Path(sys.executable).with_name("appliance"))

DOMAIN = "box.example"
RCPT = f"tickets@{DOMAIN}"
SENDER = "customer@client.example"
SMTP_SOURCE = "smtp-source"


class BenchError(PostfixError):
    """Anything that stops a benchmark run; the message says what."""


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    def listening() -> bool:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"service exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
    wait_for(listening, timeout, f"a listener on 127.0.0.1:{port}", 0.05)


def ensure_postfix_tools() -> None:
    """smtp-source and postfix come with Debian's postfix package; install it if missing."""
    if shutil.which(SMTP_SOURCE, path=os.environ.get("PATH", "") + ":/usr/sbin"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("smtp-source is missing: install Debian's postfix package "
                         "(apt-get install postfix) or run this as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], timeout=600, env=env)
    run(["apt-get", "install", "-y", "postfix"], timeout=900, env=env)


def smtp_source(port: int, args, timeout: float) -> tuple[float, str]:
    """Send the load; returns (seconds until smtp-source exits, its stderr)."""
    cmd = [tool(SMTP_SOURCE), "-s", str(args.sessions), "-m", str(args.messages),
           "-l", str(args.size), "-f", SENDER, "-t", RCPT, f"127.0.0.1:{port}"]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise BenchError(f"smtp-source exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return elapsed, proc.stderr.strip()


def count_files(path: Path) -> int:
    try:
        return sum(1 for name in os.listdir(path) if not name.startswith("."))
    except FileNotFoundError:
        return 0


# -- (a) the appliance ------------------------------------------------------------------

class Appliance:
    def __init__(self, root: Path, processes: str | None, workers: str = "",
                 database: str = "", nice: str = "") -> None:
        self.root = root
        self.data = root / "box"
        self.smtp_port = free_port()
        self.ini = self.data / "appliance.ini"
        self.processes = processes
        self.workers = workers
        self.database = database
        self.nice = nice
        self.procs: dict[str, subprocess.Popen] = {}
        self.profiled: set[str] = set()

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return run([APPLIANCE, *args], timeout=timeout)

    def init(self) -> None:
        self.cli("init", "--data-dir", str(self.data), "--domain", DOMAIN,
                 "--smtp-listen", f"127.0.0.1:{self.smtp_port}",
                 "--web-listen", f"127.0.0.1:{free_port()}",
                 "--admin-email", f"admin@{DOMAIN}", "--admin-password", "bench-pw-123",
                 *(["--database", self.database] if self.database else []))
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.ini, encoding="utf-8")
        for section in ("smtp", "dns"):
            if not parser.has_section(section):
                parser.add_section(section)
        if self.processes:
            parser.set("smtp", "processes", self.processes)
        # smtp-source reconnects before the server has seen the last session close, so 20
        # sessions from one address briefly count 21: the per-address cap is for strangers
        parser.set("smtp", "max_connections_per_ip", "200")
        for key, value in (("processes", self.workers), ("nice", self.nice)):
            if value:
                if not parser.has_section("worker"):
                    parser.add_section("worker")
                parser.set("worker", key, value)
        # every lookup answered from an empty table: a benchmark never asks the system's
        # resolver (each message then authenticates as "none", as offline mail does)
        table = self.data / "dns.json"
        table.write_text("{}")
        parser.set("dns", "table", str(table))
        with open(self.ini, "w", encoding="utf-8") as fh:
            parser.write(fh)
        # the burst's auto-replies are relayed one second after posting, not a minute
        # later: the run then shows whether the relay keeps up with intake
        self.cli("settings", "set", "-c", str(self.ini), "relay.delay_seconds", "1")

    def start(self, service: str, timeout: float, profile: str = "") -> None:
        log = open(self.root / f"{service}.log", "ab")
        cmd = [APPLIANCE, service, "-c", str(self.ini)]
        if profile:  # py-spy samples the service until it stops (raw: flamegraph.pl input)
            cmd = ["py-spy", "record", "--format", "raw", "--rate", "200", "--subprocesses",
                   "-o", profile, "--", *cmd]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs[service] = proc
        if profile:
            self.profiled.add(service)
        if service == "mta":
            wait_port(self.smtp_port, timeout, proc)
        if service == "worker":
            # as in production, the send starts once every worker process runs: the
            # center and each intake worker log a line "... started: spool ..."
            workers = self.worker_count()
            log_path = self.root / "worker.log"

            def started() -> bool:
                if proc.poll() is not None:
                    raise BenchError(f"the worker exited with {proc.returncode}")
                text = log_path.read_text(errors="replace") if log_path.exists() else ""
                return text.count(" started: spool ") >= workers + (workers > 1)
            wait_for(started, timeout, "the worker's processes", 0.05)

    def worker_count(self) -> int:
        """Intake worker processes the worker starts (``worker.processes``)."""
        value = (self.workers or "1").strip().lower()
        return (os.cpu_count() or 1) if value == "auto" else int(value)

    def stop(self, timeout: float = 30) -> None:
        for name, proc in list(self.procs.items()):
            if proc.poll() is None:  # py-spy writes its samples on SIGINT
                os.killpg(proc.pid, signal.SIGINT if name in self.profiled else signal.SIGTERM)
        for name, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self.procs.pop(name)

    def accepted(self) -> int:
        spool = self.data / "spool"
        return sum(count_files(spool / sub) for sub in ("new", "done", "failed"))

    def count(self, sql: str) -> int | None:
        """One number from the box's database (read-only for SQLite); None while it
        cannot be read yet."""
        if self.database:
            import psycopg2
            try:
                con = psycopg2.connect(self.database)
            except psycopg2.Error:
                return None
            try:
                with con.cursor() as cur:
                    cur.execute(sql)
                    return cur.fetchone()[0]
            finally:
                con.close()
        try:
            con = sqlite3.connect(f"file:{self.data / 'appliance.db'}?mode=ro", uri=True,
                                  timeout=5)
            try:
                return con.execute(sql).fetchone()[0]
            finally:
                con.close()
        except sqlite3.OperationalError:
            return None

    def processed(self) -> tuple[int, int]:
        """(items, incoming log rows)."""
        return (self.count("SELECT count(*) FROM item") or 0,
                self.count("SELECT count(*) FROM incomingmail") or 0)

    def center_backlog(self) -> int:
        """Automation events not yet looked at plus relay entries still pending."""
        events = self.count("SELECT count(*) FROM event WHERE NOT processed")
        relay = self.count("SELECT count(*) FROM relayentry WHERE state = 'pending'")
        return 1 if events is None or relay is None else events + relay


def empty_database(url: str) -> None:
    """Drop everything a previous round's box made in the PostgreSQL database."""
    import psycopg2
    con = psycopg2.connect(url)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        con.close()


def bench_appliance(root: Path, args) -> dict:
    box = Appliance(root, args.processes, args.worker_processes, args.database,
                    args.worker_nice)
    try:
        box.init()
        box.start("mta", 30, args.profile_mta)
        if not args.worker_after_send:
            box.start("worker", 30, args.profile_worker)
        items_before, _ = box.processed()
        start = time.monotonic()
        elapsed, stderr = smtp_source(box.smtp_port, args, args.timeout)
        if args.worker_after_send:
            box.start("worker", 30, args.profile_worker)
        accepted = box.accepted()
        if accepted != args.messages:
            raise BenchError(f"the appliance spooled {accepted} of {args.messages} "
                             f"messages; smtp-source said: {stderr[-1000:]}")
        backlog = count_files(box.data / "spool" / "new")

        def all_tickets() -> bool:
            return box.processed()[0] - items_before >= args.messages
        wait_for(all_tickets, args.timeout, f"{args.messages} tickets", 0.05)
        last_ticket = time.monotonic() - start
        wait_for(lambda: box.center_backlog() == 0, args.timeout,
                 "automations and relay of the burst", 0.05)
        center_done = time.monotonic() - start
        items, mails = box.processed()
        return {"msgs_per_s": args.messages / elapsed, "seconds": elapsed,
                "last_ticket_s": last_ticket,
                "last_ticket_after_accept_s": last_ticket - elapsed,
                "center_done_after_last_ticket_s": center_done - last_ticket,
                "backlog_at_accept": backlog, "items": items - items_before,
                "incoming_log": mails, "smtp_processes": args.processes or "default",
                "worker": "after the send" if args.worker_after_send else "during the send",
                "worker_processes": args.worker_processes or "default",
                "worker_nice": args.worker_nice or "default"}
    finally:
        box.stop()


# -- (b) a private Postfix ----------------------------------------------------------------

def bench_postfix(root: Path, args) -> dict:
    root.mkdir(mode=0o755)
    mail = root / "mail"
    pf = PrivatePostfix(root, main={"virtual_mailbox_domains": DOMAIN,
                                    "virtual_mailbox_base": str(mail),
                                    "virtual_mailbox_maps": "static:bench/",
                                    "virtual_uid_maps": "static:65534",
                                    "virtual_gid_maps": "static:65534"})
    maildir = mail / "bench" / "new"
    try:
        pf.configure()
        pf.start(60)
        start = time.monotonic()
        elapsed, stderr = smtp_source(pf.port, args, args.timeout)
        wait_for(lambda: count_files(maildir) >= args.messages, args.timeout,
                 f"{args.messages} maildir files from Postfix", 0.05)
        delivered = time.monotonic() - start
        return {"msgs_per_s": args.messages / elapsed, "seconds": elapsed,
                "delivered_s": delivered, "delivered_msgs_per_s": args.messages / delivered}
    finally:
        pf.stop()


# -- the run ------------------------------------------------------------------------------

def one_round(tmp: Path, index: int, args) -> dict:
    """The appliance's send, then Postfix's, each on a fresh instance."""
    found = {"appliance": bench_appliance(tmp / f"appliance-{index}", args),
             "loadavg_before": os.getloadavg()[0]}
    if not args.skip_postfix:
        found["postfix"] = bench_postfix(tmp / f"postfix-{index}", args)
        found["ratio"] = found["appliance"]["msgs_per_s"] / found["postfix"]["msgs_per_s"]
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--size", type=int, default=4096, help="message size in bytes")
    ap.add_argument("--processes", default="auto",
                    help="smtp.processes for the appliance: a number or 'auto' (one per "
                    "core, the default here); '' keeps the ini default")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate the appliance's and Postfix's sends this many times "
                    "(fresh instances each time); the ratio is the median of the rounds'")
    ap.add_argument("--timeout", type=float, default=300,
                    help="upper bound in seconds for each wait")
    ap.add_argument("--worker-after-send", action="store_true",
                    help="start the worker only once smtp-source is done (the MTA alone)")
    ap.add_argument("--worker-processes", default="auto",
                    help="worker.processes for the appliance: intake workers, N or auto")
    ap.add_argument("--worker-nice", default="", metavar="N",
                    help="worker.nice for the appliance (default: the ini's, 5)")
    ap.add_argument("--database", default="", metavar="URL",
                    help="an empty PostgreSQL database for the appliance (default: SQLite); "
                    "with --rounds, each round empties it first")
    ap.add_argument("--skip-postfix", action="store_true")
    ap.add_argument("--profile-mta", default="", metavar="FILE",
                    help="run the MTA under py-spy (on PATH) and write its samples here")
    ap.add_argument("--profile-worker", default="", metavar="FILE",
                    help="run the worker under py-spy (on PATH) and write its samples here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    ensure_postfix_tools()
    tmp = Path(tempfile.mkdtemp(prefix="appliance-bench-"))
    tmp.chmod(0o755)  # postfix daemons run as user postfix and must reach their queue
    result: dict = {"messages": args.messages, "sessions": args.sessions, "size": args.size,
                    "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()[0],
                    "rounds": []}
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for index in range(args.rounds):
            if index and args.database:
                empty_database(args.database)
            result["rounds"].append(one_round(tmp, index, args))
    except PostfixError as exc:  # BenchError included
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
        # removed only now: a file system without a journal (ext4 here) scans the inodes
        # freed in the last minutes for every new file, so a round's clean-up would have
        # slowed the next round's sends
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    rounds = result["rounds"]
    result["appliance"], result["postfix"] = rounds[-1]["appliance"], rounds[-1].get("postfix")
    if not args.skip_postfix:
        result["ratio"] = statistics.median(r["ratio"] for r in rounds)

    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    a = rounds[-1]["appliance"]
    print(f"{args.messages} messages of {args.size} bytes over {args.sessions} sessions, "
          f"{result['cpus']} CPUs (load average {result['loadavg_before']:.2f} before), "
          f"smtp.processes={a['smtp_processes']}, worker.processes={a['worker_processes']}, "
          f"worker.nice={a['worker_nice']}, worker running {a['worker']}")
    for index, found in enumerate(rounds):
        a = found["appliance"]
        if len(rounds) > 1:
            print(f"round {index + 1} (load average {found['loadavg_before']:.2f}):")
        print(f"appliance: {a['msgs_per_s']:8.1f} msgs/s accepted ({a['seconds']:.2f} s), "
              f"last ticket after {a['last_ticket_s']:.2f} s "
              f"({a['last_ticket_after_accept_s']:.2f} s after the last 250; "
              f"{a['backlog_at_accept']} waiting in the spool then); automations and relay "
              f"of the burst done {a['center_done_after_last_ticket_s']:.2f} s after that")
        if "postfix" in found:
            p = found["postfix"]
            print(f"postfix:   {p['msgs_per_s']:8.1f} msgs/s accepted ({p['seconds']:.2f} s), "
                  f"all in maildir after {p['delivered_s']:.2f} s "
                  f"({p['delivered_msgs_per_s']:.1f} msgs/s); ratio {found['ratio']:.2f}")
    if "ratio" in result:
        label = "median of the rounds' ratios" if len(rounds) > 1 else "accepted msgs/s"
        print(f"ratio appliance/postfix ({label}): {result['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
