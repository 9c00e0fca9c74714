"""One crafted mail never stalls everyone (issue 11, point 4), over SMTP to the running box.

The families that once held the worker and SQLite's write lock for minutes (a
100,000-entry References header, 20,000 Cc addresses, 2,000 DKIM-Signature headers) and
their kin (a huge header count, MIME trees too deep or too wide, 24 MiB of short lines)
are each read within ``appliance.mta.limits``: the next ordinary mail is a ticket within
15 s, the panel and the CLI answer all the while, and each cut is a reason in the
incoming log, with the whole message kept as an attachment so nothing is lost.
"""
from __future__ import annotations

import smtplib
import threading
import time

import pytest
from conftest import DOMAIN, message, wait_for
from test_web_hostile import ADMIN, Http

from appliance.mta import limits

SENDER = "mallory@attacker.example"


def crafted(mid: str, header: str = "", body: str = "Hello\r\n") -> bytes:
    return (f"From: Mallory <{SENDER}>\r\nTo: tickets@{DOMAIN}\r\nSubject: {mid}\r\n"
            f"Message-ID: <{mid}@attacker.example>\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n{header}\r\n{body}").encode()


SIGNATURE = ("DKIM-Signature: v=1; a=rsa-sha256; d=attacker.example; s=s1; c=relaxed/relaxed;"
             "\r\n h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
             " b=AAAA\r\n")


def families() -> dict[str, tuple[bytes, str]]:
    """name -> (message, a phrase its incoming log reasons must hold)."""
    return {
        "references": (crafted("references", "References: " + "\r\n ".join(
            f"<r{i}@x.example>" for i in range(100_000)) + "\r\n"),
            "Header References was"),
        "cc": (crafted("cc", "Cc: " + ",\r\n ".join(
            f"u{i}@victim{i % 97}.example" for i in range(20_000)) + "\r\n"),
            "Header Cc was"),
        "cc-one-line": (crafted("cc-one-line", "Cc: " + ", ".join(
            f"u{i}@v.example" for i in range(3_500)) + "\r\n"),
            "only the first 500 are recorded"),
        "dkim-signatures": (crafted("dkim-signatures", SIGNATURE * 2_000),
                            "only the first 5 are verified"),
        "fields": (crafted("fields", "".join(f"X-H{i}: v\r\n" for i in range(100_000))),
                   "only the first 1,000 were read"),
        "nested-mime": (crafted("nested-mime", "Content-Type: multipart/mixed; boundary=b0\r\n",
                                "".join(f"--b{i}\r\nContent-Type: multipart/mixed; "
                                        f"boundary=b{i + 1}\r\n\r\n" for i in range(5_000))),
                        "more than 100 multipart boundaries"),
        "parts": (crafted("parts", "Content-Type: multipart/mixed; boundary=B\r\n",
                          "".join(f"--B\r\nContent-Disposition: attachment; filename=f{i}\r\n"
                                  f"\r\n{i}\r\n" for i in range(20_000)) + "--B--\r\n"),
                  "more than 1,000 MIME parts"),
        "lines": (crafted("lines", "", "x\r\n" * 7_000_000), "lines, more than 500,000"),
    }


def send(box, raw: bytes, sender: str = SENDER) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=120) as smtp:
        smtp.sendmail(sender, [f"tickets@{DOMAIN}"], raw)


class Watch(threading.Thread):
    """The panel, asked again and again while the worker reads the crafted mail: each
    answer's status and how long it took."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.answers, self.stop = port, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            client = Http(self.port)
            for step in (lambda: client.login(*ADMIN), lambda: client.request("GET", "/items")):
                started = time.monotonic()
                status = step().status
                self.answers.append((status, time.monotonic() - started))
            time.sleep(0.2)


@pytest.mark.slow
def test_crafted_mails_never_hold_up_the_next_mail_the_panel_or_the_cli(box):
    box.start("mta")
    box.start("web")
    watch = Watch(box.web_port)
    cases = families()
    for raw, _ in cases.values():       # queued while the worker is down: one burst
        send(box, raw)
    box.start("worker")
    watch.start()
    time.sleep(0.5)
    send(box, message(subject="Printer broken", message_id="<normal@client.example>"))
    sent = time.monotonic()
    cli_answers = []
    while True:
        started = time.monotonic()
        rows = box.json("items", "list")
        cli_answers.append(time.monotonic() - started)
        if any(r["title"] == "Printer broken" for r in rows):
            break
        assert time.monotonic() - sent < 15, "the ordinary mail waited more than 15 s"
        time.sleep(0.2)
    ticket_after = time.monotonic() - sent
    watch.stop.set()
    watch.join(30)
    assert ticket_after < 15
    assert max(cli_answers) < 10, cli_answers
    assert watch.answers and all(status in (200, 303) for status, _ in watch.answers), \
        watch.answers
    assert max(seconds for _, seconds in watch.answers) < 5, watch.answers

    rows = {r["subject"]: r for r in box.json("mail", "incoming")}
    for name, (_, phrase) in cases.items():
        row = rows[name]
        assert row["action"] == "created", (name, row)
        assert any(phrase in reason for reason in row["reasons"]), (name, row["reasons"])
    # nothing cut is lost: the message as received is on its item
    whole = dict(box.query("SELECT i.title, a.size FROM attachment a JOIN message m ON "
                           "a.message_id = m.id JOIN item i ON m.item_id = i.id "
                           "WHERE a.filename = 'message.eml'"))
    for name, (raw, _) in cases.items():
        if name != "cc-one-line":        # its header was read whole, only people were cut
            assert whole.get(name) == len(raw), name
    # the 20,000 Cc addresses made at most 500 people and no relay work: the box writes
    # to the requesters only (the auto-reply)
    assert box.query("SELECT count(*) FROM person")[0][0] < 1_100
    relayed = {e for (e,) in box.query("SELECT DISTINCT p.email FROM relayentry r JOIN "
                                       "person p ON r.person_id = p.id")}
    assert relayed <= {SENDER, "ben@client.example"}, relayed


def test_the_worker_log_of_a_cut_mail_names_every_cut(running_box):
    """One mail hitting several limits: each is a sentence of its own."""
    raw = crafted("several", "References: " + "\r\n ".join(
        f"<r{i}@x.example>" for i in range(5_000)) + "\r\n" + SIGNATURE * 7)
    send(running_box, raw)
    [row] = wait_for(lambda: running_box.json("mail", "incoming"), timeout=30)
    assert any(r.startswith("Header References was") and "5,000 lines" in r
               for r in row["reasons"]), row["reasons"]
    assert any(r == "7 DKIM-Signature fields: only the first 5 are verified."
               for r in row["reasons"]), row["reasons"]


# --- the limits themselves: pure functions ------------------------------------------------

def test_an_ordinary_message_passes_untouched():
    raw = message(extra="References: <a@x.example> <b@x.example>\r\n")
    bounded = limits.bound(raw)
    assert bounded.raw is raw and bounded.notes == [] and bounded.body_ok
    assert not bounded.header_cut


def test_a_long_address_list_is_cut_between_addresses():
    raw = crafted("cut", "Cc: " + ", ".join(f"user{i}@v.example" for i in range(10_000))
                  + "\r\n")
    bounded = limits.bound(raw)
    cc = next(line for line in bounded.raw.split(b"\r\n") if line.startswith(b"Cc:"))
    assert len(cc) <= limits.MAX_FIELD_BYTES
    last = cc.rsplit(b",", 1)[1].strip()
    assert last.startswith(b"user") and last.endswith(b"@v.example")
    assert b"Subject: cut" in bounded.raw and bounded.raw.endswith(b"\r\n\r\nHello\r\n")


def test_a_folded_field_is_cut_at_a_line_and_the_rest_of_the_header_stays():
    refs = "References: " + "\r\n ".join(f"<r{i}@x.example>" for i in range(3_000)) + "\r\n"
    raw = crafted("folded", refs + "X-After: kept\r\n")
    bounded = limits.bound(raw)
    head = bounded.raw.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"\r\n <r") == limits.MAX_FIELD_LINES - 1
    assert b"X-After: kept" in head and b"Message-ID: <folded@" in head
    assert bounded.header_cut and bounded.body_ok


def test_fields_past_the_limit_are_dropped_and_counted():
    raw = crafted("many", "".join(f"X-H{i}: v\r\n" for i in range(1_500)))
    bounded = limits.bound(raw)
    assert bounded.raw.count(b"X-H") == limits.MAX_FIELDS - 5   # From..Date came first
    assert any("1,505 fields" in n and "505 fields" in n for n in bounded.notes), \
        bounded.notes


@pytest.mark.parametrize("header,body,phrase", [
    ("Content-Type: multipart/mixed; boundary=b0\r\n",
     "".join(f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n"
             for i in range(150)), "multipart boundaries"),
    ("Content-Type: multipart/mixed; boundary=B\r\n", "--B\r\n\r\nx\r\n" * 1_200,
     "MIME parts"),
    ("", "x\r\n" * (limits.MAX_LINES + 1), "lines"),
])
def test_bodies_too_complex_are_not_taken_apart(header, body, phrase):
    bounded = limits.bound(crafted("body", header, body))
    assert not bounded.body_ok and any(phrase in n for n in bounded.notes)


def test_a_mime_tree_within_the_limits_is_read():
    body = "".join(f"--B\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(50))
    bounded = limits.bound(crafted("fine", "Content-Type: multipart/mixed; boundary=B\r\n",
                                   body + "--B--\r\n"))
    assert bounded.body_ok and bounded.notes == []


def test_header_section_reads_only_the_header():
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n\r\nmore"
    assert limits.header_section(raw) == b"From: a@b.example\r\nSubject: x\r\n\r\n"
    assert limits.header_section(b"From: a@b.example\n\nbody") == b"From: a@b.example\n\n"


@pytest.mark.slow
def test_reads_never_wait_for_the_write_lock(box):
    """While another connection holds SQLite's write lock (a long intake once did), the
    CLI's and the panel's reads answer at once: WAL readers, no transaction for reads."""
    import sqlite3
    if box.database:
        pytest.skip("SQLite's write lock")
    box.start("mta")
    box.start("web")
    assert box.cli("items", "list").returncode == 0   # the schema is up to date from here on
    client = Http(box.web_port)
    assert client.login(*ADMIN).status == 303
    blocker = sqlite3.connect(box.root / "appliance.db", timeout=1, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO setting (key, value) VALUES ('x.held', '1')")
    try:
        for args in (("items", "list"), ("mail", "incoming"), ("mail", "outgoing")):
            started = time.monotonic()
            box.json(*args)
            assert time.monotonic() - started < 5, args
        for path in ("/items", "/healthz"):
            started = time.monotonic()
            assert client.request("GET", path).status == 200, path
            assert time.monotonic() - started < 5, path
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
