"""Broken mail through the real MTA and worker: each message is accepted (250) or refused
cleanly while the server keeps serving, and an accepted one becomes exactly one item or an
``ignored``/``failed`` incoming-log entry with a reason -- never a dead worker."""
from __future__ import annotations

import base64
import smtplib
import uuid

import pytest

from conftest import DOMAIN, Box, message, wait_for

TICKETS = f"tickets@{DOMAIN}"
DATE = "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"


def query(box: Box, sql: str, *args) -> list[tuple]:
    return box.query(sql, *args)


def incoming_row(box: Box, spool_id: str) -> dict | None:
    return box.incoming_row(spool_id)


def spooled_with(box: Box, needle: bytes) -> list:
    return [p for p in (box.root / "spool").rglob("*")
            if p.is_file() and needle in p.read_bytes()]


def send(client: smtplib.SMTP, raw: bytes) -> tuple[int, str]:
    client.rset()
    code, text = client.mail("sender@client.example")
    assert code == 250, text
    code, text = client.docmd("RCPT", f"TO:<{TICKETS}>")
    assert code == 250, text
    code, text = client.data(raw)
    return code, text.decode(errors="replace")


def connect(box: Box) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=60)
    client.ehlo("client.example")
    return client


def normal(box: Box, client: smtplib.SMTP) -> None:
    tag = uuid.uuid4().hex
    code, text = send(client, message(subject=f"normal {tag}", message_id=f"<{tag}@c.example>"))
    assert code == 250, text
    spool_id = text.rsplit("queued as ", 1)[1].split()[0]
    row = wait_for(lambda: incoming_row(box, spool_id), timeout=10)
    assert row["action"] == "created", row


@pytest.fixture(scope="module")
def bbox(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("broken") / "box").init()
    box.start("mta")
    box.start("worker")
    yield box
    box.stop_all()


# -- the broken messages: builder(tag, mid) -> bytes, and what the item should show -----

def headers(tag: str, mid: str, subject: str | None = None, sender: str | None = None,
            extra: str = "") -> str:
    text = f"To: {TICKETS}\r\nMessage-ID: {mid}\r\n{DATE}"
    if sender is not False:
        text = f"From: {sender or 'Ben Carter <ben@client.example>'}\r\n" + text
    return text + f"Subject: {subject or 'broken ' + tag}\r\n{extra}"


def no_from(tag, mid):
    return (headers(tag, mid, sender=False) + "\r\nWho am I?\r\n").encode()


def unknown_charset(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=x-unknown-42\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n")
            + "\r\nGr\u00fc\u00dfe aus K\u00f6ln\r\n").encode("utf-8")


def unknown_charset_subject(tag, mid):
    return headers(tag, mid, subject=f"=?x-unknown-42?Q?Hallo_Welt_{tag}?=").encode() + \
        b"\r\nbody\r\n"


def bad_base64(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n")
            + "\r\n!!!not*base64 at all###\r\nSGVsbG8=garbage=\r\n====\r\n").encode()


def bad_base64_attachment(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    'Content-Type: multipart/mixed; boundary="b1"\r\n')
            + "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            "--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%%%%not base64%%%%\r\nQUJD\r\n"
            "--b1--\r\n").encode()


def missing_closing_boundary(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    'Content-Type: multipart/mixed; boundary="frontier"\r\n')
            + "\r\nThis is a multi-part message in MIME format.\r\n"
            "--frontier\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "The visible text of the mail.\r\n"
            "--frontier\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"\x00\x01binary" * 20).decode() + "\r\n").encode()


def boundary_never_used(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    'Content-Type: multipart/alternative; boundary="nowhere"\r\n')
            + "\r\nJust some text, no parts at all.\r\n").encode()


def utf8_headers(tag, mid):
    return (headers(tag, mid, subject=f"Drucker kaputt \u2013 Gr\u00f6\u00dfe \u20ac {tag}",
                    sender="J\u00f6rg M\u00fcller <joerg@client.example>")
            + "\r\nBody\r\n").encode("utf-8")


def latin1_headers(tag, mid):
    return (headers(tag, mid, subject=f"Caf\u00e9 cr\u00e8me \u00e0 la carte {tag}",
                    sender="Jos\u00e9 Garc\u00eda <jose@client.example>")
            + "\r\nBody\r\n").encode("latin-1")


def latin1_headers_declared_charset(tag, mid):
    return (headers(tag, mid, subject=f"R\u00e9sum\u00e9 {tag}",
                    extra="MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=iso-8859-1\r\n")
            + "\r\nVoil\u00e0\r\n").encode("latin-1")


def nul_bytes(tag, mid):
    return headers(tag, mid).encode() + b"\r\nbefore\x00after\r\n\x00\x00\x00\r\nend\r\n"


def nul_in_headers(tag, mid):
    return headers(tag, mid, subject=f"nul\x00subject {tag}").encode() + b"\r\nbody\r\n"


def many_header_lines(tag, mid):
    filler = "".join(f"X-Filler-{n}: value {n}\r\n" for n in range(10_000))
    return (headers(tag, mid) + filler + "\r\nafter ten thousand header lines\r\n").encode()


def empty_body(tag, mid):
    return (headers(tag, mid) + "\r\n").encode()


def only_headers(tag, mid):
    return headers(tag, mid).encode()


def one_megabyte(tag, mid):
    line = "0123456789abcdef" * 4 + "\r\n"
    return (headers(tag, mid) + "\r\n" + line * (1_048_576 // len(line) + 1)).encode()


def garbage_bytes(tag, mid):
    noise = bytes(b for b in range(256) if b not in (10, 13)) * 4
    lines = [noise[i:i + 70] for i in range(0, len(noise), 70)]
    return headers(tag, mid).encode() + b"\r\n" + b"\r\n".join(lines) + b"\r\n"


def header_without_colon(tag, mid):
    return (headers(tag, mid) + "This line is no header\r\n"
            + "\r\nbody\r\n").encode()


def broken_encoded_words(tag, mid):
    return headers(tag, mid, subject=f"=?utf-8?B?!!!?= =?utf-8?Q?=E2=82?= {tag}",
                   sender="=?utf-8?B?****?= <odd@client.example>").encode() + b"\r\nx\r\n"


def no_message_id(tag, mid):
    return (f"From: ben@client.example\r\nTo: {TICKETS}\r\nSubject: broken {tag}\r\n"
            "\r\nno id\r\n").encode()


def nested_garbage(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    'Content-Type: multipart/mixed; boundary="o"\r\n')
            + "\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nnot: really\r\n\x7f\r\n"
            "--o\r\nContent-Type: multipart/related\r\n\r\n--o--\r\n").encode()


def html_only_unclosed(tag, mid):
    return (headers(tag, mid, extra="MIME-Version: 1.0\r\n"
                    "Content-Type: text/html; charset=utf-8\r\n")
            + "\r\n<html><body><p>Help <b>me<script>alert(1)</script><div><table><tr>"
            "<td>cell\r\n").encode()


CASES = {
    # name: (builder, expectations on the item when one is created)
    "no-from": (no_from, {}),
    "unknown-charset": (unknown_charset, {"description_has": "Gr\u00fc\u00dfe aus K\u00f6ln"}),
    # RFC 2047 6.2 allows showing an encoded-word in an unknown charset as it stands.
    "unknown-charset-subject": (unknown_charset_subject, {"title_has": "Hallo{sep}Welt{sep}{tag}"}),
    "bad-base64": (bad_base64, {}),
    "bad-base64-attachment": (bad_base64_attachment, {"description_has": "see attachment"}),
    "missing-closing-boundary": (missing_closing_boundary,
                                 {"description_has": "The visible text of the mail."}),
    "boundary-never-used": (boundary_never_used, {}),
    "raw-utf8-headers": (utf8_headers, {
        "title": "Drucker kaputt \u2013 Gr\u00f6\u00dfe \u20ac {tag}",
        "requester": {"email": "joerg@client.example", "name": "J\u00f6rg M\u00fcller"}}),
    "raw-latin1-headers": (latin1_headers, {
        "title": "Caf\u00e9 cr\u00e8me \u00e0 la carte {tag}",
        "requester": {"email": "jose@client.example", "name": "Jos\u00e9 Garc\u00eda"}}),
    "raw-latin1-declared": (latin1_headers_declared_charset, {
        "title": "R\u00e9sum\u00e9 {tag}", "description_has": "Voil\u00e0"}),
    "nul-in-body": (nul_bytes, {"description_has": "before"}),
    "nul-in-subject": (nul_in_headers, {}),
    "10000-header-lines": (many_header_lines, {
        "title": "broken {tag}", "description_has": "after ten thousand header lines"}),
    "empty-body": (empty_body, {"title": "broken {tag}", "description": ""}),
    "only-headers": (only_headers, {"title": "broken {tag}"}),
    "one-megabyte": (one_megabyte, {"title": "broken {tag}", "description_min": 1_000_000}),
    "garbage-bytes": (garbage_bytes, {}),
    "header-without-colon": (header_without_colon, {}),
    "broken-encoded-words": (broken_encoded_words, {"title_has": "{tag}"}),
    "no-message-id": (no_message_id, {}),
    "nested-garbage": (nested_garbage, {}),
    "html-only-unclosed": (html_only_unclosed, {"description_has": "Help"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_message(bbox, name):
    builder, expect = CASES[name]
    tag = uuid.uuid4().hex[:12]
    mid = f"<{tag}.broken@client.example>"
    raw = builder(tag, mid)
    with connect(bbox) as client:
        code, text = send(client, raw)
        assert code == 250 or 500 <= code < 600, (code, text)
        if code != 250:
            # Refused cleanly: nothing kept, and the session goes on.
            assert spooled_with(bbox, tag.encode()) == []
            normal(bbox, client)
        else:
            spool_id = text.rsplit("queued as ", 1)[1].split()[0]
            row = wait_for(lambda: incoming_row(bbox, spool_id), timeout=15)
            assert row["action"] in ("created", "ignored", "failed"), row
            if row["action"] in ("ignored", "failed"):
                assert row["reasons"], row
                assert row["item_id"] is None or row["action"] == "ignored"
            else:
                check_item(bbox, row, tag, expect)
            normal(bbox, client)
    with connect(bbox) as fresh:
        normal(bbox, fresh)
    for service, proc in bbox.procs.items():
        assert proc.poll() is None, f"{service} died:\n{bbox.log(service)[-3000:]}"
    assert "Traceback" not in bbox.log("worker"), bbox.log("worker")[-3000:]


def check_item(box: Box, row: dict, tag: str, expect: dict) -> None:
    assert row["item_id"] is not None, row
    # Exactly one incoming entry and one message for this mail.
    assert query(box, "SELECT COUNT(*) FROM message m JOIN incomingmail i "
                 "ON m.incoming_id = i.id WHERE i.spool_id = ?", row["spool_id"]) == [(1,)]
    if row["message_id"]:
        assert query(box, "SELECT COUNT(DISTINCT item_id) FROM message WHERE message_id = ?",
                     row["message_id"]) == [(1,)]
    doc = box.json("items", "show", str(row["item_id"]))
    assert doc["title"].strip(), doc["title"]
    assert "\x00" not in doc["title"] and "\x00" not in doc["description"]
    assert "\ufffd" not in doc["title"] or "title" not in expect, doc["title"]
    if "title" in expect:
        assert doc["title"] == expect["title"].format(tag=tag), doc["title"]
    if "title_has" in expect:
        wanted = [expect["title_has"].format(tag=tag, sep=sep) for sep in (" ", "_")]
        assert any(w in doc["title"] for w in wanted), doc["title"]
    if "description" in expect:
        assert doc["description"] == expect["description"], doc["description"][:300]
    if "description_has" in expect:
        assert expect["description_has"] in doc["description"], doc["description"][:300]
    if "description_min" in expect:
        assert len(doc["description"]) >= expect["description_min"]
    if "requester" in expect:
        assert doc["requester"] == expect["requester"], doc["requester"]
    # The message itself; the auto-reply (automation A02) may follow it.
    assert len([m for m in doc["messages"] if m["automation"] is None]) == 1


def test_same_connection_survives_a_run_of_broken_mail(bbox):
    """All the broken messages back to back on one connection, then a normal one."""
    accepted = []
    with connect(bbox) as client:
        for name, (builder, _) in CASES.items():
            if name == "one-megabyte":
                continue
            tag = uuid.uuid4().hex[:12]
            code, text = send(client, builder(tag, f"<{tag}.run@client.example>"))
            assert code == 250 or 500 <= code < 600, (name, code, text)
            if code == 250:
                accepted.append(text.rsplit("queued as ", 1)[1].split()[0])
        normal(bbox, client)
    for spool_id in accepted:
        row = wait_for(lambda: incoming_row(bbox, spool_id), timeout=15)
        assert row["action"] in ("created", "ignored", "failed"), row
    assert bbox.procs["worker"].poll() is None
