"""SMTP command lines answered as they arrive, not by a task woken for each one.

aiosmtpd serves a session from one task that awaits its stream reader for every command
line, so each command cost a wake-up of that task (a future resolved, a callback queued, a
turn of the loop) besides the command's own work.  :class:`CommandReader` cuts the lines
from the bytes in ``data_received`` and steps each verb, aiosmtpd's own coroutine method,
at once: most answer without waiting (the reply is written, the transport needs no drain)
and are done before ``data_received`` returns.  A verb that does wait (DATA for the
message and its commit, STARTTLS for its handshake) goes on in a task, like a coroutine
in aiosmtpd's; until it ends the bytes go to aiosmtpd's stream reader, which the verb
reads, and what it leaves there comes back as command lines afterwards, so the client's
commands are answered one after another in their order, as aiosmtpd's one reader did.

Each line meets the checks of aiosmtpd's command loop in the same order, with the same
replies.  Not supported (``serve`` uses neither): the PROXY protocol and
``command_call_limit``.
"""
from __future__ import annotations

import asyncio
from typing import Any, Coroutine

from aiosmtpd.smtp import ALLOWED_BEFORE_STARTTLS, BOGUS_LIMIT, TLSSetupException
from aiosmtpd.smtp import log as smtp_log

TOO_LONG = "500 Command line too long"
BAD_SYNTAX = "500 Error: bad syntax"


class CommandReader:
    """A mixin before aiosmtpd's ``SMTP``: its ``_handle_client`` only greets."""

    _lines: bytearray    # bytes of command lines not answered yet (made by the subclass)
    _verb: asyncio.Task | None = None   # a verb that waits; bytes go to the reader then
    _greeted = False
    _overlong = False    # inside a line longer than the reader's limit: dropped to its end
    _bogus = BOGUS_LIMIT

    async def _handle_client(self) -> None:
        await self.push(f"220 {self.hostname} {self.__ident__}")
        self._greeted = True
        self._take_back()

    def data_received(self, data: bytes) -> None:
        if self._verb is not None or not self._greeted:
            super().data_received(data)   # to aiosmtpd's stream reader
            return
        self._lines += data
        self._serve()

    def eof_received(self) -> bool | None:
        """aiosmtpd's (the waiting verb, if any, is cancelled); with none waiting the
        session ends here, since no task reading the stream would end it."""
        keep_open = super().eof_received()
        if self._verb is None and self.transport is not None:
            self.transport.close()
        return keep_open

    def _take_back(self) -> None:
        """Bytes the stream reader holds (sent while a verb waited, or before the
        greeting) become command lines again, ahead of any that come later."""
        reader = self._reader
        if reader._buffer:   # aiosmtpd itself clears this buffer after STARTTLS
            self._lines[:0] = reader._buffer
            reader._buffer.clear()
            reader._maybe_resume_transport()
        self._serve()
        if self._verb is None and reader.at_eof() and self.transport is not None:
            self.transport.close()   # the client stopped sending while a verb waited

    def _serve(self) -> None:
        lines = self._lines
        while self._verb is None and lines:
            if self.transport is None or self.transport.is_closing():
                lines.clear()
                return
            end = lines.find(b"\n")
            if end < 0:
                if len(lines) > self.line_length_limit:
                    self._overlong = True   # aiosmtpd read such a line to its end, then 500
                    lines.clear()
                return
            line = bytes(lines[:end + 1])
            del lines[:end + 1]
            if self._overlong or len(line) > self.line_length_limit:
                self._overlong = False
                self._run(self.push(TOO_LONG))
            else:
                self._command(line)

    def _command(self, line: bytes) -> None:
        """One line through aiosmtpd's checks, then its verb."""
        line = line.rstrip(b"\r\n")
        if not line:
            return self._run(self.push(BAD_SYNTAX))
        command_bytes, _, arg_bytes = line.partition(b" ")
        try:
            command = command_bytes.upper().decode("ascii")
        except UnicodeDecodeError:
            return self._run(self.push(BAD_SYNTAX))
        arg: str | None = None
        if arg_bytes:
            arg_bytes = arg_bytes.strip()
            if self.enable_SMTPUTF8:
                arg = str(arg_bytes, encoding="utf-8", errors="surrogateescape")
            else:
                try:
                    arg = str(arg_bytes, encoding="ascii", errors="strict")
                except UnicodeDecodeError:
                    return self._run(self.push("500 Error: strict ASCII mode"))
        limit = (self.command_size_limits[command] if self.session.extended_smtp
                 else self.command_size_limit)
        if len(line) > limit:
            return self._run(self.push(TOO_LONG))
        if not self._tls_handshake_okay and command != "QUIT":
            return self._run(self.push("554 Command refused due to lack of security"))
        if (self.require_starttls and not self._tls_protocol
                and command not in ALLOWED_BEFORE_STARTTLS):
            return self._run(self.push("530 Must issue a STARTTLS command first"))
        method = self._smtp_methods.get(command)
        if method is None:
            smtp_log.warning("%r unrecognised: %s", self.session.peer, command)
            self._bogus -= 1
            if self._bogus < 1:
                smtp_log.warning("%r too many bogus commands", self.session.peer)
                self._run(self.push("502 5.5.1 Too many unrecognized commands, goodbye."))
                self.transport.close()
                return None
            return self._run(self.push(f'500 Error: command "{command}" not recognized'))
        self._reset_timeout()
        return self._run(method(arg))

    def _run(self, verb: Coroutine[Any, Any, None]) -> None:
        """Step ``verb`` now; if it waits, the rest of it runs in a task (:meth:`_finish`)
        and the lines after its own wait in the stream reader until it ends."""
        try:
            awaited = verb.send(None)
        except StopIteration:
            return
        except ConnectionResetError:
            self._writer.close()
            return
        except Exception as error:   # answered as aiosmtpd's loop answered it
            self._run(self._failed(error))
            return
        if self._lines:
            super().data_received(bytes(self._lines))
            self._lines.clear()
        # aiosmtpd cancels its session's task when the connection goes or QUIT comes
        self._verb = self._handler_coroutine = self.loop.create_task(
            self._finish(verb, awaited))

    async def _finish(self, verb: Coroutine[Any, Any, None], awaited: Any) -> None:
        """What a task does with a coroutine, for one already started: resumed when what
        it waits for is done, cancelled through it (DATA then drops its file)."""
        try:
            while True:
                cancel = None
                try:
                    await _settled(awaited)
                except asyncio.CancelledError as exc:
                    if awaited is None or not awaited.cancel():
                        cancel = exc
                try:
                    awaited = verb.throw(cancel) if cancel else verb.send(None)
                except StopIteration:
                    break
        except (asyncio.CancelledError, ConnectionResetError):
            verb.close()
            self._writer.close()
            raise
        except Exception as error:
            await self._failed(error)
        self.loop.call_soon(self._resume)

    def _resume(self) -> None:
        self._verb = None
        self._take_back()

    async def _failed(self, error: Exception) -> None:
        """aiosmtpd's answer to a verb that raised: the handler's words or a 500."""
        status = None
        try:
            status = await self.handle_exception(error)
        except Exception as inner:
            try:
                smtp_log.exception("%r Exception in handle_exception()", self.session.peer)
                status = f"500 Error: ({inner.__class__.__name__}) {inner}"
            except Exception:
                status = "500 Error: Cannot describe error"
        finally:
            if isinstance(error, TLSSetupException):
                self.transport.close()
                self.connection_lost(error)
            else:
                await self.push(status)


async def _settled(awaited: Any) -> None:
    """Until what a coroutine yielded is done (a future), or one turn of the loop (a bare
    yield, as ``asyncio.sleep(0)`` makes); its outcome is left for the coroutine."""
    if awaited is None:
        await asyncio.sleep(0)
        return
    awaited._asyncio_future_blocking = False
    if not awaited.done():
        done = asyncio.get_running_loop().create_future()
        awaited.add_done_callback(lambda _: done.done() or done.set_result(None))
        await done
