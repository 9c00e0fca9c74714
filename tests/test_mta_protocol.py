"""The SMTP edge over real loopback sockets against the real ``appliance mta`` process:
RCPT refusals with their exact codes, the recipient limit, SIZE, STARTTLS, smuggling
payloads, bare line ends and disk trouble.  Every refusal is followed by proof that the
same connection and a new one keep working; what was refused never reaches the spool,
the incoming log or the items (checked in the box's real SQLite file)."""
from __future__ import annotations

import json
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import DOMAIN, Box, message, wait_for

LIMIT = 100_000  # smtp.max_message_bytes of the module's box
TICKETS = f"tickets@{DOMAIN}"


# -- helpers ---------------------------------------------------------------------------

def set_smtp_option(ini: Path, key: str, value) -> None:
    """Add ``key = value`` to the [smtp] section of a box's ini (before the MTA starts)."""
    text = ini.read_text()
    assert "[smtp]\n" in text, text
    ini.write_text(text.replace("[smtp]\n", f"[smtp]\n{key} = {value}\n", 1))


def marker() -> str:
    return f"m{uuid.uuid4().hex}"


def mid(tag: str) -> str:
    return f"<{tag}@client.example>"


def query(box: Box, sql: str, *args) -> list[tuple]:
    return box.query(sql, *args)


def incoming_row(box: Box, spool_id: str) -> dict | None:
    return box.incoming_row(spool_id)


def wait_processed(box: Box, spool_id: str, timeout: float = 10.0) -> dict:
    return wait_for(lambda: incoming_row(box, spool_id), timeout=timeout)


def spool_id_of(reply: bytes | str) -> str:
    text = reply.decode() if isinstance(reply, bytes) else reply
    assert "queued as " in text, text
    return text.rsplit("queued as ", 1)[1].split()[0]


def spool_entry(box: Box, spool_id: str) -> tuple[dict, bytes]:
    """The envelope and bytes of a spool entry wherever the worker has moved it."""
    def find():
        for where in ("new", "done", "failed"):
            try:
                data = (box.root / "spool" / where / spool_id).read_bytes()
            except FileNotFoundError:
                continue
            head, _, raw = data.partition(b"\n")
            return json.loads(head), raw
        return None
    return wait_for(find, timeout=5)


def spooled_with(box: Box, needle: bytes) -> list[Path]:
    """Every spool file (any state, half-written ones included) holding ``needle``."""
    found = []
    for path in (box.root / "spool").rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            found.append(path)
    return found


def trace_of(box: Box, needle: str) -> list:
    """Any incoming-log entry, item or message mentioning ``needle``."""
    like = f"%{needle}%"
    return (query(box, "SELECT id FROM incomingmail WHERE subject LIKE ? OR message_id LIKE ?",
                  like, like)
            + query(box, "SELECT id FROM item WHERE title LIKE ? OR description LIKE ?",
                    like, like)
            + query(box, "SELECT id FROM message WHERE message_id LIKE ? OR body LIKE ?",
                    like, like))


def connect(box: Box) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=15)
    client.ehlo("client.example")
    return client


def send_on(client: smtplib.SMTP, subject: str | None = None,
            rcpt: str = TICKETS) -> tuple[str, str]:
    """One full transaction on an open connection; returns (spool id, Message-ID)."""
    tag = marker()
    client.rset()
    code, text = client.mail("ben@client.example")
    assert code == 250, (code, text)
    code, text = client.docmd("RCPT", f"TO:<{rcpt}>")
    assert code == 250, (code, text)
    code, text = client.data(message(subject=subject or f"ok {tag}", message_id=mid(tag)))
    assert code == 250, (code, text)
    return spool_id_of(text), mid(tag)


def assert_serves(box: Box, client: smtplib.SMTP | None = None) -> None:
    """The given connection (if any) and a fresh one each accept a normal message, and the
    worker makes it a ticket."""
    ids = []
    if client is not None:
        ids.append(send_on(client)[0])
    with connect(box) as fresh:
        ids.append(send_on(fresh)[0])
    for spool_id in ids:
        row = wait_processed(box, spool_id)
        assert row["action"] == "created", row


class Raw:
    """A raw SMTP conversation, for what smtplib would repair (line ends, pipelining)."""

    def __init__(self, box: Box) -> None:
        self.sock = socket.create_connection(("127.0.0.1", box.smtp_port), timeout=15)
        self.buf = b""
        self.greeting = self.reply()
        assert self.greeting[0] == 220, self.greeting

    def reply(self) -> tuple[int, str]:
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed; partial reply {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, line: str) -> tuple[int, str]:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def replies_until_closed(self) -> list[str]:
        """Every reply line the server still sends until it closes the connection."""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        return [line.decode(errors="replace") for line in self.buf.split(b"\r\n") if line]

    def close(self) -> None:
        self.sock.close()


def start_transaction(raw: Raw, rcpt: str = TICKETS) -> None:
    assert raw.cmd("EHLO client.example")[0] == 250
    assert raw.cmd("MAIL FROM:<ben@client.example>")[0] == 250
    assert raw.cmd(f"RCPT TO:<{rcpt}>")[0] == 250
    code, text = raw.cmd("DATA")
    assert code == 354, (code, text)


@pytest.fixture(scope="module")
def mbox(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("protocol") / "box").init()
    set_smtp_option(box.ini, "max_message_bytes", LIMIT)
    box.start("mta")
    box.start("worker")
    yield box
    box.stop_all()


@pytest.fixture(autouse=True)
def services_alive(request):
    """After each test the MTA and worker of the module's box still run."""
    yield
    if "mbox" in request.fixturenames:
        box = request.getfixturevalue("mbox")
        for name, proc in box.procs.items():
            assert proc.poll() is None, f"{name} died:\n{box.log(name)[-3000:]}"


# -- RCPT ------------------------------------------------------------------------------

@pytest.mark.parametrize("rcpt", ["tickets@box.example", "TICKETS@BOX.EXAMPLE",
                                  "Tickets@Box.Example", "tasks@box.example",
                                  "TaSkS@bOx.ExAmPlE"])
def test_capture_addresses_accepted_in_any_case(mbox, rcpt):
    with connect(mbox) as client:
        client.mail("ben@client.example")
        code, text = client.docmd("RCPT", f"TO:<{rcpt}>")
        assert code == 250, text


def test_mixed_case_tasks_address_makes_a_task(mbox):
    with connect(mbox) as client:
        spool_id, _ = send_on(client, rcpt="Tasks@BOX.example")
    env, _ = spool_entry(mbox, spool_id)
    assert env["rcpt_tos"] == [f"tasks@{DOMAIN}"]
    row = wait_processed(mbox, spool_id)
    assert row["action"] == "created", row
    [(type_name,)] = query(mbox, "SELECT t.name FROM item i JOIN itemtype t ON t.id = i.type_id"
                           " WHERE i.id = ?", row["item_id"])
    assert type_name == "task"


REFUSED = [
    # (RCPT argument, exact code, enhanced status code or None for "any 5.x.x")
    ("<nobody@box.example>", 550, "5.1.1"),
    ("<sales@box.example>", 550, "5.1.1"),
    # the box's own postmaster is accepted (RFC 5321 4.5.1, tests/test_postmaster.py);
    # another domain's is not, nor one behind a routing trick
    ("<Postmaster@OTHER.EXAMPLE>", 550, "5.7.1"),
    ("<postmaster%other.example@box.example>", None, None),
    ("<tickets@other.example>", 550, "5.7.1"),
    ("<tickets@box.example.other.example>", 550, "5.7.1"),
    ("<tickets@sub.box.example>", 550, "5.7.1"),
    ("<@relay.example:tickets@box.example>", None, None),
    ("<@relay.example,@relay2.example:tickets@box.example>", None, None),
    ("<tickets%other.example@box.example>", None, None),
    ("<other.example!tickets@box.example>", None, None),
    ("<tickets!other.example@box.example>", None, None),
    ('<"x@other.example"@box.example>', None, None),
    ('<"tickets@box.example"@box.example>', None, None),
    ("<tickets@other.example@box.example>", None, None),
    ("<tickets@@box.example>", None, None),
    # the same tricks without angle brackets, with comments, escapes and our own domain
    ("@relay.example:tickets@box.example", None, None),
    ("tickets%other.example@box.example", None, None),
    ('"x@other.example"@box.example', None, None),
    ("<@box.example:tickets@box.example>", None, None),
    ("<tickets\\@other.example@box.example>", None, None),
    ("<tickets(comment)@box.example>", None, None),
    ("<tickets@box.example%other.example>", None, None),
    ("<tickets@[127.0.0.1]>", 550, "5.7.1"),
]


@pytest.mark.parametrize("rcpt,code,enhanced", REFUSED, ids=[r[0] for r in REFUSED])
def test_rcpt_refused_and_server_keeps_serving(mbox, rcpt, code, enhanced):
    with connect(mbox) as client:
        assert client.mail("ben@client.example")[0] == 250
        got, text = client.docmd("RCPT", f"TO:{rcpt}")
        text = text.decode(errors="replace")
        if code is None:
            assert 500 <= got < 600, (got, text)
            assert text.startswith("5."), text
        else:
            assert got == code, (got, text)
            assert text.startswith(enhanced + " "), text
        # The same transaction goes on with a good recipient; the refused one is not in it.
        assert client.docmd("RCPT", f"TO:<{TICKETS}>")[0] == 250
        tag = marker()
        got, text = client.data(message(subject=f"after refusal {tag}", message_id=mid(tag)))
        assert got == 250, text
        env, _ = spool_entry(mbox, spool_id_of(text))
        assert env["rcpt_tos"] == [TICKETS]
        assert_serves(mbox, client)


def test_refused_recipient_alone_makes_data_fail(mbox):
    with connect(mbox) as client:
        client.mail("ben@client.example")
        assert client.docmd("RCPT", "TO:<tickets@other.example>")[0] == 550
        code, _ = client.docmd("DATA")
        assert code == 503  # no valid recipient: no message at all
        assert_serves(mbox, client)


def test_101st_recipient_gets_452(mbox):
    tag = marker()
    with connect(mbox) as client:
        assert client.mail("ben@client.example")[0] == 250
        for n in range(100):
            rcpt = TICKETS if n % 2 else TICKETS.upper()
            code, text = client.docmd("RCPT", f"TO:<{rcpt}>")
            assert code == 250, (n, code, text)
        for _ in range(2):
            code, text = client.docmd("RCPT", f"TO:<{TICKETS}>")
            assert code == 452, (code, text)
            assert text.decode().startswith("4.5.3"), text
        code, text = client.data(message(subject=f"hundred {tag}", message_id=mid(tag)))
        assert code == 250, text
        spool_id = spool_id_of(text)
        env, _ = spool_entry(mbox, spool_id)
        assert len(env["rcpt_tos"]) == 100
        row = wait_processed(mbox, spool_id)
        assert row["action"] == "created"
        assert query(mbox, "SELECT COUNT(*) FROM message WHERE message_id = ?",
                     mid(tag)) == [(1,)]
        assert_serves(mbox, client)


# -- the verbs ---------------------------------------------------------------------------

def test_every_verb_answers_and_no_auth_is_offered(mbox):
    """The session's verb table is made once per class, not by aiosmtpd's reflection on
    every connection: each verb still answers as aiosmtpd's own, HELP lists them all, and
    EHLO offers no AUTH (the box takes mail for its own addresses, from anyone)."""
    with connect(mbox) as client:
        assert set(client.esmtp_features) == {"size", "8bitmime", "smtputf8", "starttls",
                                              "help"}
        code, text = client.docmd("HELP")
        assert (code, text) == (250, b"Supported commands: AUTH EHLO HELO HELP MAIL NOOP "
                                     b"QUIT RSET STARTTLS VRFY")
        assert client.docmd("NOOP") == (250, b"OK")
        assert client.docmd("VRFY", "ben")[0] == 252
        assert client.docmd("EXPN", "staff")[0] == 502
        assert client.docmd("AUTH", "PLAIN AGJlbgBwdw==")[0] == 538
        assert client.docmd("BOGUS")[0] == 500
        assert client.docmd("RSET") == (250, b"OK")
        assert_serves(mbox, client)


# -- SIZE ------------------------------------------------------------------------------

def test_size_advertised(mbox):
    with connect(mbox) as client:
        assert client.has_extn("size")
        assert client.esmtp_features["size"] == str(LIMIT)


def test_mail_from_size_above_limit_refused(mbox):
    with connect(mbox) as client:
        code, text = client.mail("ben@client.example", [f"SIZE={LIMIT + 1}"])
        assert code == 552, text
        assert text.decode().startswith("5.3.4"), text
        code, text = client.mail("ben@client.example", [f"SIZE={LIMIT // 2}"])
        assert code == 250, text
        assert_serves(mbox, client)


def test_data_above_limit_refused(mbox):
    tag = marker()
    big = message(subject=f"big {tag}", message_id=mid(tag), body="x" * 78 + "\r\n")
    big = big + b"y" * 76 + b"\r\n"
    big = big * (LIMIT // len(big) + 2)
    assert len(big) > LIMIT
    with connect(mbox) as client:
        assert client.mail("ben@client.example")[0] == 250
        assert client.docmd("RCPT", f"TO:<{TICKETS}>")[0] == 250
        code, text = client.data(big)
        assert code == 552, text
        assert text.decode().startswith("5.3.4"), text
        assert_serves(mbox, client)
    assert spooled_with(mbox, tag.encode()) == []
    assert trace_of(mbox, tag) == []


def _exact(size: int, tag: str) -> bytes:
    head = message(subject=f"exact {tag}", message_id=mid(tag), body="")
    pad = b"".join(b"p" * 98 + b"\r\n" for _ in range((size - len(head)) // 100))
    rest = size - len(head) - len(pad)
    data = head + pad + (b"q" * (rest - 2) + b"\r\n" if rest >= 2 else b"")
    assert len(data) == size, (len(data), size)
    return data


def test_size_limit_is_exact(mbox):
    """LIMIT bytes are accepted, LIMIT + 1 are not (SIZE= and the DATA count agree)."""
    with connect(mbox) as client:
        assert client.mail("ben@client.example", [f"SIZE={LIMIT}"])[0] == 250
        client.docmd("RCPT", f"TO:<{TICKETS}>")
        code, text = client.data(_exact(LIMIT, marker()))
        assert code == 250, text
        client.rset()
        assert client.mail("ben@client.example")[0] == 250
        client.docmd("RCPT", f"TO:<{TICKETS}>")
        tag = marker()
        code, text = client.data(_exact(LIMIT + 1, tag))
        assert code == 552 and text.decode().startswith("5.3.4"), (code, text)
        assert_serves(mbox, client)
    assert spooled_with(mbox, tag.encode()) == []


def test_data_just_under_limit_accepted(mbox):
    tag = marker()
    head = message(subject=f"near limit {tag}", message_id=mid(tag), body="")
    body = (b"z" * 98 + b"\r\n") * ((LIMIT - len(head) - 2000) // 100)
    with connect(mbox) as client:
        client.mail("ben@client.example", [f"SIZE={len(head + body)}"])
        client.docmd("RCPT", f"TO:<{TICKETS}>")
        code, text = client.data(head + body)
        assert code == 250, text
    assert wait_processed(mbox, spool_id_of(text))["action"] == "created"


# -- STARTTLS --------------------------------------------------------------------------

def test_starttls_then_message_recorded_as_tls(mbox):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with connect(mbox) as client:
        assert client.has_extn("starttls")
        code, _ = client.starttls(context=context)
        assert code == 220
        assert isinstance(client.sock, ssl.SSLSocket)
        client.ehlo("client.example")
        assert not client.has_extn("starttls")
        assert client.esmtp_features["size"] == str(LIMIT)
        tls_id, tls_mid = send_on(client, subject="over tls")
    with connect(mbox) as plain:
        plain_id, _ = send_on(plain, subject="in clear")
    assert spool_entry(mbox, tls_id)[0]["tls"] is True
    assert spool_entry(mbox, plain_id)[0]["tls"] is False
    row = wait_processed(mbox, tls_id)
    assert row["action"] == "created" and row["message_id"] == tls_mid
    assert wait_processed(mbox, plain_id)["action"] == "created"


def test_starttls_discards_pipelined_plaintext(mbox):
    """Commands pipelined behind STARTTLS in clear text (CVE-2011-0411 style injection)
    are never answered inside the TLS session."""
    raw = Raw(mbox)
    try:
        assert raw.cmd("EHLO client.example")[0] == 250
        raw.sock.sendall(b"STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\nNOOP\r\n")
        code, text = raw.reply()
        assert code == 220, text
        assert raw.buf == b""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            tls = context.wrap_socket(raw.sock)
        except (ssl.SSLError, OSError):
            return  # dropping such a client is a safe answer too
        raw.sock = tls
        assert raw.cmd("EHLO client.example")[0] == 250
        # Had the injected MAIL been kept, RCPT would be accepted and NOOP answered first.
        code, text = raw.cmd(f"RCPT TO:<{TICKETS}>")
        assert code == 503, text
        assert raw.cmd("QUIT")[0] == 221
    finally:
        raw.close()
    assert_serves(mbox)


# -- smuggling and line ends -----------------------------------------------------------

SMUGGLE_ENDS = {"lf-dot-crlf": b"\n.\r\n", "lf-dot-lf": b"\n.\n", "cr-dot-crlf": b"\r.\r\n",
                "crlf-dot-lf": b"\r\n.\n", "cr-dot-cr": b"\r.\r"}


@pytest.mark.parametrize("end", list(SMUGGLE_ENDS.values()), ids=list(SMUGGLE_ENDS))
def test_smuggling_never_yields_a_second_message(mbox, end):
    outer, inner = marker(), marker()
    first = (f"From: Ben <ben@client.example>\r\nTo: {TICKETS}\r\nSubject: outer {outer}\r\n"
             f"Message-ID: {mid(outer)}\r\n\r\nHello.").encode()
    smuggled = (f"MAIL FROM:<ceo@victim.example>\r\nRCPT TO:<{TICKETS}>\r\nDATA\r\n"
                f"From: CEO <ceo@victim.example>\r\nTo: {TICKETS}\r\n"
                f"Subject: smuggled {inner}\r\nMessage-ID: {mid(inner)}\r\n\r\n"
                f"Transfer the money.").encode()
    raw = Raw(mbox)
    try:
        start_transaction(raw)
        # Everything up to the real CRLF.CRLF is one DATA; QUIT is pipelined behind it.
        raw.sock.sendall(first + end + smuggled + b"\r\n.\r\nQUIT\r\n")
        replies = raw.replies_until_closed()
    finally:
        raw.close()
    assert len(replies) == 2, replies
    assert replies[0].startswith("550 5.6.0 "), replies
    assert replies[1].startswith("221"), replies
    # A normal message on a new connection goes through; once the worker has handled it
    # (entries are taken in arrival order) nothing of the smuggling attempt exists.
    with connect(mbox) as client:
        spool_id, _ = send_on(client)
    wait_processed(mbox, spool_id)
    for tag in (outer, inner):
        assert spooled_with(mbox, tag.encode()) == []
        assert trace_of(mbox, tag) == []


def test_smuggling_in_accepted_pipelined_sessions_stays_two_messages(mbox):
    """Two honest pipelined transactions (CRLF only) give exactly two 250s and two items:
    the pipelining path itself neither loses nor merges messages."""
    tags = [marker(), marker()]
    raw = Raw(mbox)
    try:
        assert raw.cmd("EHLO client.example")[0] == 250
        batch = b""
        for tag in tags:
            batch += (f"MAIL FROM:<ben@client.example>\r\nRCPT TO:<{TICKETS}>\r\nDATA\r\n"
                      .encode())
            batch += message(subject=f"pipelined {tag}", message_id=mid(tag)) + b".\r\n"
        raw.sock.sendall(batch + b"QUIT\r\n")
        replies = raw.replies_until_closed()
    finally:
        raw.close()
    codes = [line[:3] for line in replies]
    assert codes == ["250", "250", "354", "250", "250", "250", "354", "250", "221"], replies
    ids = [spool_id_of(line) for line in replies if "queued as" in line]
    for spool_id, tag in zip(ids, tags):
        row = wait_processed(mbox, spool_id)
        assert row["action"] == "created" and row["message_id"] == mid(tag)


@pytest.mark.parametrize("newline", [b"\n", b"\r"], ids=["bare-lf", "bare-cr"])
def test_bare_line_ends_refused_and_nothing_spooled(mbox, newline):
    tag = marker()
    text = message(subject=f"bare {tag}", message_id=mid(tag), body="line one\r\nline two")
    raw = Raw(mbox)
    try:
        start_transaction(raw)
        raw.sock.sendall(text.replace(b"\r\n", newline) + b"\r\n.\r\n")
        code, reply = raw.reply()
        assert code == 550 and reply.startswith("550 5.6.0 "), reply
        # The same connection serves the next transaction.
        assert raw.cmd("MAIL FROM:<ben@client.example>")[0] == 250
        assert raw.cmd(f"RCPT TO:<{TICKETS}>")[0] == 250
        assert raw.cmd("DATA")[0] == 354
        raw.sock.sendall(message(subject=f"good {tag}") + b".\r\n")
        code, reply = raw.reply()
        assert code == 250, reply
        assert raw.cmd("QUIT")[0] == 221
    finally:
        raw.close()
    wait_processed(mbox, spool_id_of(reply))
    assert spooled_with(mbox, f"bare {tag}".encode()) == []
    assert trace_of(mbox, f"bare {tag}") == []
    assert_serves(mbox)


# -- disk trouble ----------------------------------------------------------------------

def _break_dir_with_file(tmp: Path) -> None:
    tmp.rmdir()
    tmp.write_text("not a directory")


def _break_dir_with_dangling_symlink(tmp: Path) -> None:
    tmp.rmdir()
    tmp.symlink_to(tmp.parent / "no-such-directory")


def _break_dir_readonly_for_root(tmp: Path) -> None:
    result = subprocess.run(["chattr", "+i", str(tmp)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"chattr +i unsupported here: {result.stderr.decode().strip()}")


def _repair(tmp: Path) -> None:
    subprocess.run(["chattr", "-i", str(tmp)], capture_output=True)
    if tmp.is_symlink() or tmp.is_file():
        tmp.unlink()
    tmp.mkdir(mode=0o750, exist_ok=True)


@pytest.mark.parametrize("breakage", [_break_dir_with_file, _break_dir_with_dangling_symlink,
                                      _break_dir_readonly_for_root],
                         ids=["dir-is-a-file", "dir-dangling-symlink", "dir-immutable"])
def test_spool_write_failure_answers_4xx_never_250(mbox, breakage):
    """The directory the MTA makes its files in is broken: ``new/`` where they arrive
    unnamed (O_TMPFILE), else ``tmp/``."""
    from appliance.mta.spool import Spool
    unnamed = Spool(mbox.root / "spool").unnamed_files
    tmp = mbox.root / "spool" / ("new" if unnamed else "tmp")
    if unnamed:   # filed by the worker: empty, so it can be replaced
        wait_for(lambda: not [n for n in os.listdir(tmp) if not n.startswith(".")],
                 timeout=30)
    tag = marker()
    try:
        breakage(tmp)
        with connect(mbox) as client:
            for attempt in range(2):
                client.mail("ben@client.example")
                client.docmd("RCPT", f"TO:<{TICKETS}>")
                code, text = client.data(message(subject=f"disk {tag}", message_id=mid(tag)))
                assert code in (451, 452), (code, text)
                assert text.decode().startswith("4."), text
    finally:
        _repair(tmp)
    assert [p for p in spooled_with(mbox, tag.encode()) if p.parent.name != "tmp"] == []
    # Repaired: the same message (same Message-ID, as a real client retries) gets 250.
    with connect(mbox) as client:
        client.mail("ben@client.example")
        client.docmd("RCPT", f"TO:<{TICKETS}>")
        code, text = client.data(message(subject=f"disk {tag}", message_id=mid(tag)))
        assert code == 250, text
    row = wait_processed(mbox, spool_id_of(text))
    assert row["action"] == "created"
    assert query(mbox, "SELECT COUNT(*) FROM message WHERE message_id = ?", mid(tag)) == [(1,)]


def test_full_disk_answers_452(box):
    """A full file system under the spool (a tiny tmpfs) gives 452 4.3.1, then 250 once
    space is free again."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    spool = box.root / "spool"
    spool.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(spool)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        box.start("mta")
        box.start("worker")
        fd = os.open(spool / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        tag = marker()
        with connect(box) as client:
            client.mail("ben@client.example")
            client.docmd("RCPT", f"TO:<{TICKETS}>")
            code, text = client.data(message(subject=f"full {tag}", message_id=mid(tag),
                                             body="x" * 70 + "\r\n"))
            assert code == 452, text
            assert text.decode().startswith("4.3.1"), text
        (spool / "filler").unlink()
        with connect(box) as client:
            spool_id, _ = send_on(client)
        assert wait_processed(box, spool_id)["action"] == "created"
        assert box.procs["mta"].poll() is None and box.procs["worker"].poll() is None
    finally:
        box.stop_all()
        subprocess.run(["umount", "-l", str(spool)], capture_output=True)
