"""Facts read once per worker turn (an intake batch, a message-center tick).

Which people are staff and the edited templates are asked for every message, and did not
change within the turn: intake holds the write lock for its whole batch, and a center tick
lasts well under a second or two.  Outside a turn (the panel, the command line) every
question goes to the database as before.  An edit made in the panel applies from the next
turn on.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

_local = threading.local()


@contextmanager
def turn() -> Iterator[None]:
    """Remember facts until the outermost turn ends (turns nest; per thread)."""
    if getattr(_local, "memo", None) is not None:
        yield
        return
    _local.memo = {}
    try:
        yield
    finally:
        _local.memo = None


def remembered(key: Any, load: Callable[[], Any]) -> Any:
    """``load()``, once per turn for ``key``; every time outside a turn."""
    memo = getattr(_local, "memo", None)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]
