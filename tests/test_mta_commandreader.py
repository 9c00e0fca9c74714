"""Command lines answered as they arrive (``appliance/mta/commandreader.py``), against the
real ``appliance mta`` over loopback sockets: whatever way the client's bytes are cut
into reads, each command gets its reply once and in its order, also around a DATA that
waits for its commit; a client that sends before the greeting, never reads its replies,
or sends a line without end is answered or cut off without stopping the server."""
from __future__ import annotations

import os
import socket
import time

import pytest

from conftest import DOMAIN, Box, mta_alone, message

TICKETS = f"tickets@{DOMAIN}"


@pytest.fixture(scope="module")
def cbox(tmp_path_factory):
    box = mta_alone(tmp_path_factory, "commands")
    yield box
    box.stop_all()


def session(box: Box) -> tuple[socket.socket, object]:
    sock = socket.create_connection(("127.0.0.1", box.smtp_port), timeout=30)
    return sock, sock.makefile("rb")


def replies(reader, count: int) -> list[bytes]:
    """``count`` replies, each its final line (continuation lines skipped)."""
    out = []
    while len(out) < count:
        line = reader.readline()
        assert line, f"connection closed after {out}"
        if line[3:4] != b"-":
            out.append(line.rstrip(b"\r\n"))
    return out


def transaction(tag: str) -> bytes:
    body = message(subject=f"cut {tag}", message_id=f"<{tag}@client.example>")
    return (b"MAIL FROM:<ben@client.example>\r\n" + f"RCPT TO:<{TICKETS}>\r\n".encode()
            + b"DATA\r\n" + body + b".\r\n")


def spooled(box: Box, tag: str) -> int:
    new = box.root / "spool" / "new"
    return sum(f"cut {tag}".encode() in (new / name).read_bytes()
               for name in os.listdir(new) if not name.startswith("."))


@pytest.mark.parametrize("piece", [1, 7, 1000], ids=["byte-by-byte", "7-bytes", "whole"])
def test_every_cut_of_a_pipelined_session_gets_each_reply_once_in_order(cbox, piece):
    tags = [f"t{piece}x{n}{time.time_ns()}" for n in range(2)]
    stream = (b"EHLO client.example\r\n" + transaction(tags[0]) + b"NOOP\r\n"
              + b"RSET\r\n" + transaction(tags[1]) + b"QUIT\r\n")
    sock, reader = session(cbox)
    try:
        assert replies(reader, 1)[0].startswith(b"220 ")
        for start in range(0, len(stream), piece):
            sock.sendall(stream[start:start + piece])
        got = replies(reader, 12)
        assert reader.readline() == b""   # closed after QUIT, nothing more said
    finally:
        reader.close()
        sock.close()
    assert [line[:3] for line in got] == [b"250", b"250", b"250", b"354", b"250", b"250",
                                          b"250", b"250", b"250", b"354", b"250", b"221"], got
    assert b"queued as" in got[4] and b"queued as" in got[10], got
    for tag in tags:
        assert spooled(cbox, tag) == 1


def test_commands_sent_before_the_greeting_are_answered_after_it(cbox):
    sock, reader = session(cbox)
    try:
        sock.sendall(b"EHLO early.example\r\nNOOP\r\nQUIT\r\n")
        got = replies(reader, 4)
    finally:
        reader.close()
        sock.close()
    assert [line[:3] for line in got] == [b"220", b"250", b"250", b"221"], got


def test_a_client_that_never_reads_its_replies_stops_nobody(cbox):
    """A flood of pipelined NOOPs with the replies left unread: the server stops
    reading it (its write buffer full) and serves another client meanwhile."""
    flood = socket.create_connection(("127.0.0.1", cbox.smtp_port), timeout=30)
    flood.setblocking(False)
    sent = 0
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sent < 64 << 20:
            try:
                sent += flood.send(b"NOOP\r\n" * 10_000)
            except BlockingIOError:
                time.sleep(0.01)
        assert sent < 64 << 20, "the server read 64 MiB of commands nobody took replies for"
        sock, reader = session(cbox)
        try:
            assert replies(reader, 1)[0].startswith(b"220 ")
            sock.sendall(b"EHLO other.example\r\nQUIT\r\n")
            assert [line[:3] for line in replies(reader, 2)] == [b"250", b"221"]
        finally:
            reader.close()
            sock.close()
    finally:
        flood.close()


def test_a_line_without_end_is_dropped_and_answered_once_it_ends(cbox):
    sock, reader = session(cbox)
    try:
        assert replies(reader, 1)[0].startswith(b"220 ")
        sock.sendall(b"NOOP " + b"x" * 300_000)   # past the 64 KiB the reader keeps
        sock.sendall(b"\r\nNOOP\r\n")
        assert replies(reader, 2) == [b"500 Command line too long", b"250 OK"]
    finally:
        reader.close()
        sock.close()


def test_a_client_that_stops_sending_ends_its_session(cbox):
    """Half-closed after its replies came: the server closes too, not at the idle timeout."""
    sock, reader = session(cbox)
    try:
        assert replies(reader, 1)[0].startswith(b"220 ")
        sock.sendall(b"EHLO client.example\r\nNOOP\r\n")
        assert [line[:3] for line in replies(reader, 2)] == [b"250", b"250"]
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        assert reader.readline() == b""
    finally:
        reader.close()
        sock.close()
