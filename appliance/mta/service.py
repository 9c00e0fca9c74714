"""``appliance mta``: the SMTP service process(es).

With ``smtp.processes`` above 1 the parent binds the port once and forks children that
accept on the same socket (the kernel spreads connections), one asyncio loop per core.
SIGTERM/SIGINT stop accepting, let open transactions finish and exit 0.  A child gets
SIGTERM when its parent dies, even by SIGKILL, so no orphan keeps the port from the
restarted MTA.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal

from appliance.config import Config, ConfigError
from appliance.mta import connections
from appliance.mta.connections import ConnectionLimits
from appliance.mta.inbound import listening_socket, serve
from appliance.mta.spool import Spool
from appliance.processes import die_with_parent

log = logging.getLogger("appliance.mta")


def _process_count(cfg: Config) -> int:
    value = cfg.get("smtp.processes").strip().lower()
    return os.cpu_count() or 1 if value == "auto" else max(1, cfg.getint("smtp.processes"))


def _cap(cfg: Config, key: str) -> int:
    value = cfg.getint(key)
    if value < 0:
        raise ConfigError(f"{cfg.path}: {key} must be 0 (no cap) or more, not {value}")
    return value


def _run_loop(cfg: Config, sock, limits: ConnectionLimits) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(cfg, sock, stop, limits)
    asyncio.run(main())


def _child(cfg: Config, sock, limits: ConnectionLimits, parent: int) -> None:
    """A forked server process: it never returns into the parent's code (which would
    signal the siblings forked before it) and leaves with os._exit."""
    code = 0
    try:
        die_with_parent(parent)
        _run_loop(cfg, sock, limits)
    except BaseException:
        log.exception("mta process %d failed", os.getpid())
        code = 1
    finally:
        logging.shutdown()
        os._exit(code)


def run(cfg: Config) -> int:
    host, port = cfg.listen("smtp.listen")
    Spool(cfg.spool_dir).ensure().clean_tmp()
    count = _process_count(cfg)
    caps = _cap(cfg, "smtp.max_connections"), _cap(cfg, "smtp.max_connections_per_ip")
    sock = listening_socket(host, port)
    limits = ConnectionLimits(connections.file_path(cfg.data_dir), count, *caps)
    log.info("mta listening on %s:%d (%d process%s)", host, port, count,
             "es" if count > 1 else "")
    parent = os.getpid()
    children: list[int] = []
    for index in range(1, count):
        pid = os.fork()
        if pid == 0:
            limits.use_row(index)
            _child(cfg, sock, limits, parent)
        children.append(pid)
    try:
        _run_loop(cfg, sock, limits)
    finally:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for child in children:
            try:
                os.waitpid(child, 0)
            except ChildProcessError:
                pass
    log.info("mta stopped")
    return 0
