"""Reading DATA (RFC 5321 4.1.1.4 and 4.5.2): the lines up to CRLF.CRLF, dot-unstuffed,
taken from the connection in blocks.

A block runs to the next ".\\r\\n", the end of a line that ends in a dot (the terminator is
one), or, when none comes within the reader's limit, to that limit.  A message of prose so
costs one read per line ending in a full stop and a base64 attachment one per 64 KiB, where
reading line by line cost one read, and a coroutine step, per line.

Lines still end at CRLF only, exactly as when they were read one by one: a bare CR or LF
never ends a line, so ``\\n.\\n`` and its kin never end DATA (SMTP smuggling), and only a
line that is "." alone after a CRLF, or first, does.  Nothing after the terminator is
read: commands pipelined behind it stay in the reader for the session.
"""
from __future__ import annotations

import asyncio
from typing import Protocol

DOT_LINE = b".\r\n"
CRLF = b"\r\n"
TERMINATOR = b"\r\n.\r\n"
LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
TOO_MUCH_DATA = "552 Error: Too much mail data"   # the session's push() adds the limit


class Sink(Protocol):
    """Where the message's unstuffed lines go (:class:`appliance.mta.inbound.DataSink`)."""

    buffer: bytearray

    async def flush(self) -> None: ...

    def discard(self) -> None: ...


async def read_data(reader: asyncio.StreamReader, sink: Sink, size_limit: int | None,
                    longest: int, chunk: int) -> str | None:
    """Read DATA up to CRLF.CRLF into ``sink`` (flushed whenever it holds ``chunk`` bytes);
    returns the refusal that drops the message (a line longer than ``longest`` bytes with
    its CRLF, more than ``size_limit`` bytes), or None.  A refused message is still read
    to its end, so the reply comes after it (RFC 5321 4.2.5), and the sink discards it."""
    pending = b""       # the line begun and not yet ended: never holds a CRLF
    size = 0            # bytes as sent, the terminator not counted
    refusal: str | None = None
    while True:
        try:
            block, dotted = await reader.readuntil(DOT_LINE), True
        except asyncio.LimitOverrunError as exc:
            # no ".\r\n" in reach: the bytes before where one could still begin
            block, dotted = await reader.readexactly(exc.consumed), False
        data = pending + block if pending else block
        done = dotted and (data == DOT_LINE or data.endswith(TERMINATOR))
        if done:
            lines, pending = data[:-len(DOT_LINE)], b""
        else:
            cut = data.rfind(CRLF)
            cut = 0 if cut < 0 else cut + len(CRLF)
            lines, pending = data[:cut], data[cut:]
        if lines:
            size += len(lines)
            if refusal is not None:
                pass
            elif size_limit and size > size_limit:
                refusal = TOO_MUCH_DATA
                sink.discard()
            elif len(lines) > longest and longest_line(lines) > longest:
                refusal = LINE_TOO_LONG
                sink.discard()
            else:
                sink.buffer += unstuff(lines)
                if len(sink.buffer) >= chunk:
                    await sink.flush()
        if len(pending) > longest:
            # a line already too long and still going: counted and dropped as it comes,
            # but for its last byte (a CR the next block's LF may end)
            if refusal is None:
                refusal = LINE_TOO_LONG
                sink.discard()
            size += len(pending) - 1
            pending = pending[-1:]
        if done:
            return refusal


def longest_line(lines: bytes) -> int:
    """The length of the longest of these whole lines, its CRLF counted."""
    return max(map(len, lines.split(CRLF))) + len(CRLF)


def unstuff(lines: bytes) -> bytes:
    """Whole lines without the dot a sender puts before a line that begins with one
    (RFC 5321 4.5.2); ``lines`` begins at the start of a line."""
    if lines[:1] == b".":
        lines = lines[1:]
    return lines.replace(b"\r\n.", CRLF)
