"""The error a person can act on (bad input, a missing file, a refused value): a command
prints it on one line and exits with ``code``, the panel shows it beside the form.  It lives
below both so that what they share (blocklist patterns, the send test) can raise it."""
from __future__ import annotations


class CommandError(Exception):
    """An error a person can act on; ``code`` is the exit status of a command."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
