"""DATA read in blocks (:mod:`appliance.mta.dataread`) says exactly what reading it line by
line says: the same message stored, the same end of DATA, the same bytes left for the
next command, whatever the content and however the bytes arrive.

The reference below is RFC 5321's reading, written out plainly: lines end at CRLF only;
the first line that is "." alone ends DATA; a leading dot is removed (4.5.2); a message is
refused when its bytes pass the size limit or one line (with its CRLF) is longer than
allowed.  Each stream is fed to a real ``asyncio.StreamReader`` in the pieces hypothesis
picks, with a small reader limit, so blocks end at every kind of boundary: inside a CRLF,
just before a dot, inside an overlong line, right at the terminator.  The real server's
own tests (test_mta_protocol: smuggling, bare line ends, size limits, pipelining) run the
same code over sockets."""
from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.mta.dataread import LINE_TOO_LONG, TOO_MUCH_DATA, read_data, unstuff

LIMIT = 64     # the reader's limit (the server's is 64 KiB): blocks end at it often
LONGEST = 64   # the longest line allowed, CRLF included, as the server's line limit


class Sink:
    """Collects what read_data stores, as the spool's DataSink would write it."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.written = bytearray()
        self.discarded = False
        self.flushes = 0

    async def flush(self) -> None:
        self.flushes += 1
        self.written += self.buffer
        self.buffer = bytearray()

    def discard(self) -> None:
        self.discarded = True
        self.buffer = bytearray()

    def stored(self) -> bytes:
        return bytes(self.written + self.buffer)


def reference(stream: bytes, size_limit: int | None, longest: int):
    """RFC 5321's DATA, line by line: (stored, reasons to refuse, what is left) or None
    when the stream ends before the terminator."""
    stored, size, reasons, at = bytearray(), 0, set(), 0
    while True:
        end = stream.find(b"\r\n", at)
        if end < 0:
            return None
        line = stream[at:end + 2]
        at = end + 2
        if line == b".\r\n":
            return bytes(stored), reasons, stream[at:]
        size += len(line)
        if size_limit and size > size_limit:
            reasons.add(TOO_MUCH_DATA)
        if len(line) > longest:
            reasons.add(LINE_TOO_LONG)
        stored += line[1:] if line[:1] == b"." else line


def run(pieces: list[bytes], size_limit: int | None, chunk: int = 40):
    """read_data over ``pieces`` as they arrive; (refusal, sink, left) or the exception."""
    async def go():
        reader = asyncio.StreamReader(limit=LIMIT)
        sink = Sink()

        async def arrive():
            for piece in pieces:
                reader.feed_data(piece)
                await asyncio.sleep(0)
            reader.feed_eof()
        feeding = asyncio.ensure_future(arrive())
        try:
            refusal = await read_data(reader, sink, size_limit, LONGEST, chunk)
        except asyncio.IncompleteReadError:
            await feeding
            return None
        await feeding
        return refusal, sink, await reader.read()
    return asyncio.run(go())


# the pieces that matter to DATA: dots, bare and split line ends, text, long runs
PARTS = [b".", b"..", b"\r\n", b"\r", b"\n", b"x", b"text", b".\r\n", b"\r\n.\r\n",
         b"\r\n.", b"a.", b"\n.\n", b"\r.\r", b"x" * 70, b"y" * 130, b"QUIT\r\n"]


@st.composite
def arrivals(draw):
    stream = b"".join(draw(st.lists(st.sampled_from(PARTS), max_size=40)))
    if draw(st.booleans()):   # mostly, the message ends and a command follows
        stream += b"\r\n.\r\nQUIT\r\n"
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    return stream, [p for p in pieces if p]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals(), st.sampled_from([None, 30, 200]))
def test_blocks_read_what_lines_read(case, size_limit):
    stream, pieces = case
    expected = reference(stream, size_limit, LONGEST)
    got = run(pieces, size_limit)
    if expected is None:   # the sender went away inside DATA: nothing is answered
        assert got is None
        return
    assert got is not None, stream
    refusal, sink, left = got
    stored, reasons, rest = expected
    assert left == rest, stream        # the next command is never eaten, nor smuggled in
    if reasons:
        assert refusal in reasons and sink.discarded, (stream, refusal, reasons)
    else:
        assert refusal is None and not sink.discarded, stream
        assert sink.stored() == stored, stream


@pytest.mark.parametrize("stream, stored, left", [
    (b".\r\nQUIT\r\n", b"", b"QUIT\r\n"),                          # an empty message
    (b"..\r\n.\r\n", b".\r\n", b""),                               # a line that is one dot
    (b"a\r\n..b\r\n.\r\nNOOP\r\n", b"a\r\n.b\r\n", b"NOOP\r\n"),
    (b"end of a sentence.\r\nmore\r\n.\r\n", b"end of a sentence.\r\nmore\r\n", b""),
    (b"a\n.\nb\r.\rc\r\n.\r\n", b"a\n.\nb\r.\rc\r\n", b""),        # bare ends never end it
])
def test_the_end_of_data_and_dot_stuffing(stream, stored, left):
    for size in (1, 2, 3, len(stream)):   # one byte at a time, and all at once
        refusal, sink, rest = run([stream[i:i + size] for i in range(0, len(stream), size)],
                                  None)
        assert (refusal, sink.stored(), rest) == (None, stored, left)


def test_a_line_longer_than_allowed_is_refused_and_the_session_goes_on():
    """An overlong line far past the reader's limit is counted and dropped as it comes (a
    session never holds it whole) and DATA still ends at its terminator."""
    stream = b"ok\r\n" + b"z" * 10_000 + b"\r\n.\r\nQUIT\r\n"
    refusal, sink, left = run([stream[i:i + 700] for i in range(0, len(stream), 700)], None)
    assert refusal == LINE_TOO_LONG and sink.discarded and left == b"QUIT\r\n"


def test_a_message_over_the_size_limit_is_read_to_its_end_and_refused():
    stream = b"".join(b"line %03d\r\n" % i for i in range(100)) + b".\r\nRSET\r\n"
    refusal, sink, left = run([stream], 500)
    assert refusal == TOO_MUCH_DATA and sink.discarded and left == b"RSET\r\n"


def test_a_big_message_goes_to_the_sink_in_chunks():
    body = b"".join(b"base64base64base64base64base64base64base64base64\r\n" for _ in range(200))
    stream = body + b".\r\n"
    refusal, sink, left = run([stream[i:i + 100] for i in range(0, len(stream), 100)], None,
                              chunk=1000)
    assert refusal is None and sink.stored() == body and sink.flushes >= 9


def test_unstuff_removes_one_leading_dot_per_line():
    assert unstuff(b"..\r\n.a\r\nb.\r\n...\r\n") == b".\r\na\r\nb.\r\n..\r\n"
