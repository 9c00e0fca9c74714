"""Child processes that must not outlive their parent (MTA children, intake workers)."""
from __future__ import annotations

import ctypes
import logging
import os
import signal

log = logging.getLogger("appliance")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies, even by SIGKILL
    (PR_SET_PDEATHSIG), then check that it did not die before the request: an orphan
    would hold the MTA's port or take intake work its restarted parent hands out again."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (OSError, AttributeError) as exc:  # not Linux
        log.warning("process %d will not stop with its parent: %s", os.getpid(), exc)
    if os.getppid() != parent:
        os._exit(0)
