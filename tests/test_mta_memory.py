"""DATA goes to the spool as it arrives, never whole into the MTA's memory (issue 11,
point 5): the real ``appliance mta`` (one process, so its /proc numbers are the whole MTA)
over loopback sockets.  A big message grows the MTA's peak resident set by a small
fraction of its size and is spooled byte for byte; DATA that is dropped, refused or too big
leaves nothing on its way in (``spool/tmp``, or an unnamed file in ``spool/new``) nor in
``spool/new``; the smuggling rules hold after the first
chunk has gone to disk."""
from __future__ import annotations

import hashlib
import os
import smtplib
import socket
import time
import uuid

import pytest

from conftest import DOMAIN, Box, mta_alone, wait_for

TICKETS = f"tickets@{DOMAIN}"
MIB = 1 << 20


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture(scope="module")
def mbox(tmp_path_factory):
    box = mta_alone(tmp_path_factory, "memory")
    yield box
    box.stop_all()


def spool_files(box: Box, where: str) -> list[str]:
    return sorted(os.listdir(box.root / "spool" / where))


def arriving(box: Box) -> dict[str, int]:
    """Messages on their way into the spool, by name, with their sizes: files in ``tmp/``
    and the unnamed files (``O_TMPFILE`` in ``new/``) the MTA holds open."""
    found, tmp = {}, box.root / "spool" / "tmp"
    new = os.path.realpath(box.root / "spool" / "new") + os.sep
    places = [str(tmp / name) for name in spool_files(box, "tmp")]
    fds = f"/proc/{box.procs['mta'].pid}/fd"
    for fd in os.listdir(fds):
        try:
            target = os.readlink(f"{fds}/{fd}")
        except OSError:
            continue   # closed meanwhile
        if target.startswith(new) and target.endswith(" (deleted)"):
            places.append(f"{fds}/{fd}")
    for place in places:
        try:
            found[place] = os.stat(place).st_size
        except OSError:
            continue   # committed or dropped meanwhile
    return found


def body_lines(size: int, tag: str) -> bytes:
    """A message of about ``size`` bytes with CRLF lines of many lengths, lines that
    start with dots (stuffed by the client, unstuffed by the server) and a lone-dot line."""
    head = (f"From: Ben <ben@client.example>\r\nTo: {TICKETS}\r\nSubject: big {tag}\r\n"
            f"Message-ID: <{tag}@client.example>\r\n\r\n").encode()
    lines, total, n = [head], len(head), 0
    while total < size:
        n += 1
        line = (b"." * (n % 3) + b"%d " % n + b"x" * (n * 37 % 1000)) + b"\r\n"
        if n % 997 == 0:
            line = b".\r\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)


def spooled_message(box: Box, spool_id: str) -> bytes:
    data = (box.root / "spool" / "new" / spool_id).read_bytes()
    return data.partition(b"\n")[2]


def open_data(box: Box) -> tuple[socket.socket, object]:
    """A raw session in the middle of DATA."""
    sock = socket.create_connection(("127.0.0.1", box.smtp_port), timeout=30)
    replies = sock.makefile("rb")
    assert replies.readline().startswith(b"220")
    for cmd, code in ((b"EHLO client.example", b"250"), (b"MAIL FROM:<ben@client.example>",
                      b"250"), (f"RCPT TO:<{TICKETS}>".encode(), b"250"), (b"DATA", b"354")):
        sock.sendall(cmd + b"\r\n")
        line = replies.readline()
        while line[3:4] == b"-":
            line = replies.readline()
        assert line.startswith(code), (cmd, line)
    return sock, replies


def test_big_message_is_streamed_not_held(mbox):
    """24 MiB of DATA in short lines: aiosmtpd's own DATA grew the MTA by about twice the
    message (47 MiB); streamed, the peak grows by a few MiB and the spool has the exact
    bytes (dots unstuffed)."""
    pid = mbox.procs["mta"].pid
    raw = body_lines(24 * MIB, uuid.uuid4().hex)
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")   # VmHWM := VmRSS now
    except OSError:
        pass
    before = status_kb(pid, "VmHWM")
    with smtplib.SMTP("127.0.0.1", mbox.smtp_port, timeout=120) as client:
        client.ehlo("client.example")
        assert client.mail("ben@client.example")[0] == 250
        assert client.rcpt(TICKETS)[0] == 250
        code, text = client.data(raw)
        assert code == 250, text
    growth_mib = (status_kb(pid, "VmHWM") - before) / 1024
    assert growth_mib < 8, f"the MTA grew by {growth_mib:.1f} MiB for a 24 MiB message"
    stored = spooled_message(mbox, text.decode().rsplit(" ", 1)[1])
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(raw).hexdigest()
    assert arriving(mbox) == {}


def test_dropped_data_leaves_no_temp_file(mbox):
    """DATA is on disk while it arrives; a client that goes away mid-DATA leaves nothing."""
    new_before = spool_files(mbox, "new")
    sock, replies = open_data(mbox)
    try:
        sock.sendall(b"Subject: never finished\r\n\r\n" + (b"y" * 76 + b"\r\n") * 40_000)
        wait_for(lambda: len(arriving(mbox)) == 1, timeout=10)
        [place] = arriving(mbox)
        wait_for(lambda: arriving(mbox).get(place, 0) > MIB, timeout=10)
    finally:
        replies.close()
        sock.close()
    wait_for(lambda: arriving(mbox) == {}, timeout=10)
    assert spool_files(mbox, "new") == new_before


def _send_raw_data(box: Box, payload: bytes) -> str:
    sock, replies = open_data(box)
    try:
        sock.sendall(payload + b"\r\n.\r\n")
        reply = replies.readline().decode()
        sock.sendall(b"QUIT\r\n")
        assert replies.readline().startswith(b"221")
    finally:
        replies.close()
        sock.close()
    return reply


FIRST = (b"z" * 98 + b"\r\n") * 6000   # 600 KB: more than one chunk on disk first


@pytest.mark.parametrize("tail,reply", [
    (b"one\ntwo\r\n", "550 5.6.0 "),                      # bare LF
    (b"one\rtwo\r\n", "550 5.6.0 "),                      # bare CR
    (b"evil\n.\r\nMAIL FROM:<x@y.example>\r\n", "550 5.6.0 "),   # smuggling ends
    (b"w" * 70_000 + b"\r\n", "500 "),                    # a line over 64 KiB
    ((b"v" * 998 + b"\r\n") * 27_000, "552 5.3.4 "),      # over the 25 MiB limit
], ids=["bare-lf", "bare-cr", "smuggled-end", "long-line", "too-big"])
def test_refusal_after_the_first_chunk_leaves_nothing(mbox, tail, reply):
    new_before = spool_files(mbox, "new")
    got = _send_raw_data(mbox, b"Subject: refused\r\n\r\n" + FIRST + tail + FIRST)
    assert got.startswith(reply), got
    assert arriving(mbox) == {}
    assert spool_files(mbox, "new") == new_before


def test_terminator_split_across_reads_ends_data(mbox):
    """CRLF.CRLF arriving in pieces (one byte per send) still ends DATA, once."""
    sock, replies = open_data(mbox)
    try:
        tag = uuid.uuid4().hex
        sock.sendall(f"Subject: slow {tag}\r\n\r\n".encode() + FIRST)
        for byte in b"last line\r\n.\r\n":
            sock.sendall(bytes([byte]))
            time.sleep(0.01)
        reply = replies.readline().decode()
        assert reply.startswith("250 2.0.0 Ok: queued as "), reply
    finally:
        replies.close()
        sock.close()
    stored = spooled_message(mbox, reply.rsplit(" ", 1)[1].strip())
    assert stored.endswith(FIRST + b"last line\r\n") and tag.encode() in stored
