"""Fixtures that run the real appliance: a data directory made by ``appliance init``, and
the MTA, worker and web services as subprocesses on free loopback ports."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DOMAIN = "box.example"
# The suite tests what admins install: the wheel in .venv (scripts/test.sh builds and
# installs it), never the checkout.  The command is the installed console script, and no
# Python started by a test puts the working directory (the checkout) on sys.path.
APPLIANCE = str(Path(sys.executable).with_name("appliance"))
os.environ["PYTHONSAFEPATH"] = "1"


def pytest_configure(config) -> None:
    """Refuse to test a checkout or a stale install: the result would not be what ships."""
    from installcheck import stale_files
    problem = stale_files()
    if problem:
        pytest.exit(problem, returncode=4)


def pytest_collection_modifyitems(items) -> None:
    """Every test of a tests/test_browser_*.py module is marked ``browser``."""
    for item in items:
        if item.path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"service exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not reached in time")


def read_until(proc: subprocess.Popen, marker: bytes, timeout: float = 60.0) -> bytes:
    """What ``proc`` printed on its stdout pipe up to ``marker``; never blocks past
    ``timeout``."""
    import selectors
    out, deadline = b"", time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while marker not in out:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {marker!r} within {timeout} s:\n"
                                   f"{out[-3000:].decode(errors='replace')}")
            if sel.select(left):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"exited ({proc.wait()}) before {marker!r}:\n"
                                         f"{out[-3000:].decode(errors='replace')}")
                out += chunk
    return out


def appliance(*args: str, input: bytes | None = None, check: bool = True,
              env: dict | None = None, command: str = APPLIANCE) -> subprocess.CompletedProcess:
    """Run the real ``appliance`` command line (``command``: another install's script)."""
    proc = subprocess.run([command, *args], input=input,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"appliance {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


# -- PostgreSQL: scripts/test.sh runs the suite a second time with APPLIANCE_TEST_DATABASE
# set to a server's URL; every Box then gets a fresh database of its own on that server.
PG_URL = os.environ.get("APPLIANCE_TEST_DATABASE", "")
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="inherently SQLite (the suite runs "
                                 "on PostgreSQL: APPLIANCE_TEST_DATABASE)")


def fresh_database() -> str:
    """Create an empty database on the test PostgreSQL server; returns its URL."""
    import uuid

    import psycopg2
    name = f"box_{uuid.uuid4().hex[:16]}"
    con = psycopg2.connect(PG_URL)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        con.close()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


class Box:
    """One initialised data directory and the services started on it."""

    def __init__(self, root: Path, domain: str = DOMAIN) -> None:
        self.root = root
        self.smtp_port = free_port()
        self.web_port = free_port()
        self.ini = root / "appliance.ini"
        self.procs: dict[str, subprocess.Popen] = {}
        self.domain = domain
        self.database = ""   # a postgresql:// URL when the suite runs on PostgreSQL
        self.command = APPLIANCE   # the installed console script the box is run with

    def init(self, *extra: str) -> "Box":
        if PG_URL and "--database" not in extra:
            self.database = fresh_database()
            extra = (*extra, "--database", self.database)
        appliance("init", "--data-dir", str(self.root), "--domain", self.domain,
                  "--smtp-listen", f"127.0.0.1:{self.smtp_port}",
                  "--web-listen", f"127.0.0.1:{self.web_port}",
                  "--admin-email", f"admin@{self.domain}", "--admin-password", "admin-pw-123",
                  *extra, command=self.command)
        # Nothing reaches the internet: every lookup is answered from this table.
        self.dns_table = self.root / "dns.json"
        self.dns_table.write_text("{}")
        self.set_ini("dns", "table", str(self.dns_table))
        return self

    def set_dns(self, records: dict) -> None:
        import json
        self.dns_table.write_text(json.dumps(records))

    def set_ini(self, section: str, key: str, value: str) -> None:
        """Change a bootstrap key in the box's ini (before starting a service)."""
        import configparser
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.ini)
        if not parser.has_section(section):
            parser.add_section(section)
        parser.set(section, key, value)
        with open(self.ini, "w") as fh:
            parser.write(fh)

    def deliver_to(self, sink, **settings: str) -> None:
        """Send the box's outgoing mail to ``sink`` (a loopback test server) as its own
        SMTP server; ``settings`` (dots as double underscores) are set too."""
        self.cli("settings", "set", "outbound.mode", "smarthost")
        self.cli("settings", "set", "outbound.smarthost", f"127.0.0.1:{sink.port}")
        self.cli("settings", "set", "outbound.security", "none")
        for key, value in settings.items():
            self.cli("settings", "set", key.replace("__", "."), value)

    def cli(self, *args: str, **kw) -> subprocess.CompletedProcess:
        group, rest = args[0], args[1:]
        if group in ("items", "mail", "settings", "users", "blocklist", "automations",
                     "templates", "dkim", "outbound") and rest:
            return appliance(group, rest[0], "-c", str(self.ini), *rest[1:],
                             command=self.command, **kw)
        return appliance(group, "-c", str(self.ini), *rest, command=self.command, **kw)

    def json(self, *args: str):
        import json
        return json.loads(self.cli(*args, "--json").stdout)

    def start(self, service: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.root / f"{service}.test.log", "ab")
        proc = subprocess.Popen([self.command, service, "-c", str(self.ini)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})
        self.procs[service] = proc
        if service == "mta":
            wait_port(self.smtp_port, proc=proc)
        elif service == "web":
            wait_port(self.web_port, proc=proc)
        elif service == "worker":   # up (its spool and database open), or gone
            wait_for(lambda: " started: spool " in self.log("worker")
                     or proc.poll() is not None, timeout=30)
        return proc

    def stop(self, service: str, sig: int = signal.SIGTERM) -> int | None:
        proc = self.procs.pop(service, None)
        if proc is None:
            return None
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                return proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                return proc.wait()
        return proc.returncode

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def log(self, service: str) -> str:
        path = self.root / f"{service}.test.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def query(self, sql: str, *args) -> list[tuple]:
        """Read the box's database directly, as an outside check would."""
        if self.database:   # the PostgreSQL run: the same SQL with %s placeholders
            import psycopg2
            pcon = psycopg2.connect(self.database)
            try:
                with pcon.cursor() as cur:
                    cur.execute(sql.replace("?", "%s"), args)
                    return cur.fetchall()
            finally:
                pcon.close()
        import sqlite3
        con = sqlite3.connect(self.root / "appliance.db", timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def incoming_row(self, spool_id: str) -> dict | None:
        """The incoming-log row of one spool entry, read straight from the database."""
        import json
        rows = self.query("SELECT action, item_id, message_id, subject, reasons, error "
                          "FROM incomingmail WHERE spool_id = ?", spool_id)
        if not rows:
            return None
        action, item_id, message_id, subject, reasons, error = rows[0]
        return {"action": action, "item_id": item_id, "message_id": message_id,
                "subject": subject, "reasons": json.loads(reasons or "[]"), "error": error,
                "spool_id": spool_id}

    def db(self):
        """Open the box's database in this process (the models bind to it)."""
        from appliance.helpdesk.database import open_database
        return open_database(self.database or self.root / "appliance.db")


CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is missing (scripts/test.sh installs it)")


@pytest.fixture
def browser():
    """Debian's chromium driven by playwright (its own browser download cannot run here)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def frozen():
    """The appliance's clock standing still at a known moment until advanced."""
    from datetime import datetime, timezone

    from appliance import clock
    c = clock.FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))
    clock.set_source(c)
    yield c
    clock.set_source(None)


def mta_alone(tmp_path_factory, name: str) -> Box:
    """A box whose MTA alone runs, in one process (so its /proc numbers are the whole
    MTA's); the caller stops it (``stop_all``)."""
    box = Box(tmp_path_factory.mktemp(name) / "box").init()
    box.set_ini("smtp", "processes", "1")
    box.start("mta")
    return box


@pytest.fixture
def box(tmp_path):
    b = Box(tmp_path / "box").init()
    yield b
    b.stop_all()


@pytest.fixture
def running_box(box):
    box.start("mta")
    box.start("worker")
    return box


@contextlib.contextmanager
def relaying(box: Box, *services: str, agent: tuple[str, str] | None = None,
             **settings: str):
    """``box`` delivering to a loopback SMTP server (``box.sink``) and relaying after one
    second, with ``settings`` set (dots as double underscores), ``agent`` (email,
    password) added as an agent and ``services`` started."""
    from smtpsinks import Sink
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1", **settings)
        if agent:
            box.cli("users", "add", "--email", agent[0], "--name", "Maria", "--role",
                    "agent", "--password", agent[1])
        box.sink = sink
        for service in services:
            box.start(service)
        yield box


@pytest.fixture
def live(box):
    """The box relaying after one second to a loopback SMTP server (nothing started)."""
    with relaying(box) as b:
        yield b


def message(subject: str = "Printer broken", sender: str = "ben@client.example",
            to: str = f"tickets@{DOMAIN}", body: str = "Please help.",
            message_id: str | None = None, extra: str = "") -> bytes:
    mid = message_id or f"<{time.time_ns()}.{os.getpid()}@client.example>"
    text = (f"From: Ben Carter <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {mid}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
    return text.encode()
