"""Benchmark: the panel's list and search pages on a big database.

Makes a data directory with ``appliance init``, fills its SQLite file directly with
100,000 items (and a message each; one in ten assigned to the admin, one in seven with a due
date, for the agent views) and 500,000 mail-log entries (half incoming, half
outgoing with a recipient each), the FTS5 triggers of migration 5 indexing every row as it
is inserted; then serves the panel with waitress on a loopback port and asks each list and
search page, and the home page (its clock at the end of that year, so its 24 hours and 30
days hold data), repeatedly over HTTP (keep-alive), logged in as the admin.  Prints p50/p95/max
per page; exits 1 when a p95 is 100 ms or more.

    python3 bench/web_lists.py [--items 100000] [--logs 500000] [--rounds 40] [--keep DIR]
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

# The installed console script (.venv/bin/appliance): benchmarks measure what admins
# install, never the checkout that `python -m appliance` would import from here.
APPLIANCE = str(Path(sys.executable).with_name("appliance"))

WORDS = ("printer invoice password login vpn laptop monitor keyboard mailbox calendar "
         "license refund shipping delivery order account upgrade backup network wifi phone "
         "scanner toner drum meeting contract quote payment reminder access server outage "
         "slow broken error crash update install request question urgent help").split()


def word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(3))


KNOWN = {"priority": "normal", "channel": "email"}


def complete(con, sql: str) -> str:
    """Add constant values for NOT NULL columns without an SQL default that the statement
    leaves out (columns later migrations add with a Python-side default)."""
    table = sql.split()[2]
    named = sql[sql.index("(") + 1:sql.index(")")].replace(" ", "").split(",")
    extra = [(row[1], KNOWN.get(row[1], 0 if "INT" in row[2].upper() else ""))
             for row in con.execute(f"PRAGMA table_info({table})")
             if row[3] and row[4] is None and not row[5] and row[1] not in named]
    if not extra:
        return sql
    head, _, values = sql.partition(") VALUES (")
    literals = ", ".join(repr(v) if isinstance(v, str) else str(v) for _, v in extra)
    return (head + ", " + ", ".join(n for n, _ in extra) + ") VALUES ("
            + values.rstrip().removesuffix(")") + ", " + literals + ")")


def many(con, sql: str, rows) -> None:
    con.executemany(complete(con, sql), rows)


START = datetime(2025, 1, 1, tzinfo=timezone.utc)
END = START + timedelta(days=365)   # the last entry, one year after the first


def fill(db_path: Path, items: int, logs: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    rare = [word(rng) for _ in range(5000)]
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=off")
    start = START

    def when(i: int, total: int) -> str:
        return (start + timedelta(seconds=i * 31_536_000 // total)).isoformat(
            timespec="seconds")

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) if rng.random() < .6 else rng.choice(rare)
                        for _ in range(n))
    t0 = time.monotonic()
    with con:
        con.executemany("INSERT INTO person (email, name, created_at) VALUES (?, ?, ?)",
                        [(f"user{i}@client{i % 500}.example", f"User {i}", when(0, 1))
                         for i in range(20000)])
        first_person = con.execute("SELECT min(id) FROM person").fetchone()[0]
        types = [r[0] for r in con.execute("SELECT id FROM itemtype")]
        statuses = ["open"] * 5 + ["pending"] * 2 + ["resolved"] * 2 + ["closed"] * 6
        many(
            con, "INSERT INTO item (type_id, title, status, requester_id, description, "
            "sender_verified, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
            ((rng.choice(types), text(6), rng.choice(statuses),
              first_person + rng.randrange(20000), text(40), when(i, items), when(i, items))
             for i in range(items)))
        first_item = con.execute("SELECT min(id) FROM item").fetchone()[0]
        # four in five items got a first public answer within a day (the home page's median)
        con.execute("UPDATE item SET first_response_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                    "created_at, '+' || (abs(random()) % 86400) || ' seconds') "
                    "WHERE id % 5 != 0")
        # the agent views: one item in ten is the admin's, one in seven has a due date
        # three days after it came (so most lie before "now", the end of the year)
        admin = con.execute("SELECT id FROM person WHERE email = 'admin@box.example'"
                            ).fetchone()[0]
        con.execute("UPDATE item SET assignee_id = ? WHERE id % 10 = 0", (admin,))
        con.execute("UPDATE item SET due_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                    "created_at, '+3 days') WHERE id % 7 = 0")
        many(
            con, "INSERT INTO message (item_id, author_id, body, internal, created_at) "
            "VALUES (?, ?, ?, 0, ?)",
            ((first_item + i, first_person + rng.randrange(20000), text(60), when(i, items))
             for i in range(items)))
    t1 = time.monotonic()
    half = logs // 2
    with con:
        many(
            con, "INSERT INTO incomingmail (spool_id, received_at, processed_at, tls, mail_from, "
            "rcpt_tos, from_email, from_name, subject, message_id, action, item_id, "
            "decision, auth, reasons, size) VALUES (?, ?, ?, 1, ?, '[\"tickets@box.example\"]',"
            " ?, ?, ?, ?, ?, ?, '{}', '{}', '[]', 4096)",
            ((f"bench-{i}", when(i, half), when(i, half), f"user{i % 20000}@client.example",
              f"user{i % 20000}@client.example", f"User {i % 20000}", text(7),
              f"<{i}.bench@client.example>",
              rng.choice(["created", "appended", "appended", "ignored", "failed"]),
              first_item + rng.randrange(items)) for i in range(half)))
        many(
            con, "INSERT INTO outgoingmail (created_at, kind, item_id, subject, message_id, "
            "mail_from, raw, status, attempts) VALUES (?, 'reply', ?, ?, ?, "
            "'support@box.example', x'00', ?, 1)",
            ((when(i, half), first_item + rng.randrange(items), text(7),
              f"<{i}.out@box.example>",
              rng.choice(["delivered"] * 8 + ["deferred", "bounced", "failed"]))
             for i in range(half)))
        first_mail = con.execute("SELECT min(id) FROM outgoingmail").fetchone()[0]
        many(
            con, "INSERT INTO outgoingrecipient (mail_id, email, status, updated_at) "
            "VALUES (?, ?, 'delivered', ?)",
            ((first_mail + i, f"user{i % 20000}@client{i % 500}.example", when(i, half))
             for i in range(half)))
    t2 = time.monotonic()
    con.execute("ANALYZE")
    con.close()
    return {"items_s": t1 - t0, "logs_s": t2 - t1, "rare": rare[17]}


def serve(cfg):
    from waitress.server import create_server

    from appliance.webadmin.app import make_app
    server = create_server(make_app(cfg), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server


def admin_cookie() -> str:
    from appliance.helpdesk.models import Person, User
    from appliance.helpdesk.logins import WebSession, digest, new_secret
    secret = new_secret()
    user = User.select().join(Person).where(Person.email == "admin@box.example").get()
    WebSession.create(key_hash=digest(secret), user=user, csrf=new_secret())
    return f"appliance_session={secret}"


def measure(port: int, cookie: str, paths: list[str], rounds: int) -> list[tuple]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rows = []
    for path in paths:
        times = []
        for _ in range(rounds + 2):
            t = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            body = response.read()
            location = response.getheader("Location", "")
            if response.status == 303 and location:   # "#N" opens item N: both requests
                conn.request("GET", urllib.parse.urlsplit(location).path,
                             headers={"Cookie": cookie})
                response = conn.getresponse()
                body = response.read()
            times.append((time.perf_counter() - t) * 1000)
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}\n{body[:500]!r}")
        times = sorted(times[2:])  # the first two warm the cache
        rows.append((path, times[len(times) // 2], times[int(len(times) * .95) - 1],
                     times[-1], body.count(b"<tr") - 1))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--logs", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", help="use (and keep) this data directory")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench-web-")) / "box"
    fresh = not (root / "appliance.db").exists()
    if fresh:
        subprocess.run([APPLIANCE, "init", "--data-dir", str(root),
                        "--domain", "box.example", "--admin-email", "admin@box.example",
                        "--admin-password", "admin-pw-123"], check=True,
                       stdout=subprocess.DEVNULL)
        made = fill(root / "appliance.db", args.items, args.logs)
        print(f"filled {args.items:,} items + {args.items:,} messages in "
              f"{made['items_s']:.0f} s, {args.logs:,} log entries in {made['logs_s']:.0f} s "
              f"(FTS5 triggers indexing every row); database "
              f"{(root / 'appliance.db').stat().st_size / 1e6:.0f} MB")
    from appliance import clock, config
    from appliance.helpdesk.database import open_database
    # "now" is the end of the filled year, so the home page's 24 h and 30 days hold data
    clock.set_source(clock.FrozenClock(END))
    cfg = config.load(root / "appliance.ini")
    open_database(cfg.database)
    server = serve(cfg)
    port = server.effective_port
    cookie = admin_cookie()
    # the home page's links: what it counted over the last 24 hours and 30 days
    since_day = urllib.parse.quote((END - timedelta(days=1)).isoformat())
    since_month = urllib.parse.quote((END - timedelta(days=30)).isoformat())
    paths = ["/", "/items", "/items?page=200", "/items?status=open", "/items?type=task",
             "/items?q=printer", "/items?q=printer+toner", "/items?q=zuvaki",
             "/items?requester=user1234%40client234.example", "/items?q=printer&status=open",
             "/items?q=%2377777", f"/items?since={since_day}", f"/items?since={since_month}",
             "/items?view=mine", "/items?view=unassigned", "/items?view=waiting",
             "/items?view=overdue", "/items?view=overdue&page=20",
             "/items?view=mine&q=printer", "/items?view=waiting&type=task",
             "/admin/email/incoming", "/admin/email/incoming?page=200",
             "/admin/email/incoming?action=failed", f"/admin/email/incoming?since={since_day}",
             "/admin/email/incoming?q=invoice",
             "/admin/email/incoming?q=user4711%40client.example",
             "/admin/email/outgoing", "/admin/email/outgoing?status=bounced",
             f"/admin/email/outgoing?since={since_day}",
             "/admin/email/outgoing?q=refund+backup",
             "/admin/email/outgoing?q=user4711%40client211.example"]
    print(f"{'page':<56} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'rows':>5}")
    worst = 0.0
    for path, p50, p95, top, count in measure(port, cookie, paths, args.rounds):
        worst = max(worst, p95)
        print(f"{path:<56} {p50:7.1f} {p95:7.1f} {top:7.1f} {count:5d}")
    print(f"worst p95: {worst:.1f} ms ({'under' if worst < 100 else 'NOT under'} 100 ms); "
          f"load average {os.getloadavg()[0]:.1f}")
    server.close()
    if not args.keep:
        shutil.rmtree(root.parent, ignore_errors=True)
    return 0 if worst < 100 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
