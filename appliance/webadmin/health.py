"""``/healthz`` and ``/metrics`` on the web service: :func:`install` adds them to the app.

``/healthz`` (open, for load balancers and systemd watchdogs): 200 when the database
answers (and its SQLite file is still the one the web service opened: not deleted or
replaced), the MTA greets on its port and the worker keeps up with the spool; else 503
with the reason (the failing part's value, and ``reason``).  The worker has no port to
ask: it is alive when no spool entry waits longer than :data:`STUCK_SECONDS`, and its last
processed message is shown (entries in ``waiting/``, set aside after a full disk or the
like, are counted apart: the worker tries them again by itself).

``/metrics`` (Prometheus text): with ``web.metrics_token`` set, only for
``Authorization: Bearer TOKEN``; without it, only for loopback clients that came through
no proxy (a request that carried any forwarding header is refused, also when waitress
dropped it, see :mod:`appliance.webadmin.proxy`: behind a reverse proxy, set a token).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import os
import socket
import time

import bottle

from appliance import clock, metrics
from appliance.config import Config
from appliance.helpdesk.database import database_problem
from appliance.helpdesk.models import db
from appliance.mta.spool import Spool
from appliance.webadmin import proxy

STUCK_SECONDS = 300
PROBE_TIMEOUT = 2.0


def mta_answers(cfg: Config) -> str:
    host, port = cfg.listen("smtp.listen")
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        with socket.create_connection((target, port), timeout=PROBE_TIMEOUT) as sock:
            sock.settimeout(PROBE_TIMEOUT)
            banner = sock.recv(512)
            try:
                sock.sendall(b"QUIT\r\n")
            except OSError:
                pass
    except OSError as exc:
        return f"error: nothing answers on {host}:{port} ({exc.strerror or exc})"
    return "ok" if banner.startswith(b"220") else f"error: unexpected greeting {banner[:40]!r}"


def worker_state(cfg: Config) -> tuple[str, dict]:
    new = cfg.spool_dir / "new"
    try:
        names = sorted(n for n in os.listdir(new) if not n.startswith("."))
    except OSError as exc:
        return f"error: {exc}", {"spool_pending": None}
    info: dict = {"spool_pending": len(names), "last_processed_at": None,
                  "spool_waiting": len(Spool(cfg.spool_dir).waiting())}
    last = db.execute_sql("SELECT max(processed_at) FROM incomingmail").fetchone()[0]
    info["last_processed_at"] = last
    if names:
        try:
            age = time.time() - (new / names[0]).stat().st_mtime
        except FileNotFoundError:
            age = 0.0
        info["spool_oldest_seconds"] = round(age, 1)
        if age > STUCK_SECONDS:
            return (f"error: a spool entry has waited {int(age)} s; the worker is not "
                    f"running or is stuck"), info
    return "ok", info


def health(cfg: Config) -> tuple[int, dict]:
    status: dict = {"status": "ok", "time": clock.iso(clock.now())}
    problem = database_problem()   # first: a new connection to a deleted file fails
    try:
        if problem is None:
            db.execute_sql("SELECT 1")
        status["database"] = (f"error: {problem}; restore it or restart the services"
                              if problem else "ok")
    except Exception as exc:  # report, never crash the health check
        status["database"] = f"error: {exc}"
    status["mta"] = mta_answers(cfg)
    if status["database"] == "ok":
        status["worker"], info = worker_state(cfg)
        status.update(info)
    else:
        status["worker"] = "unknown: no database"
    failed = [k for k in ("database", "mta", "worker") if status[k] != "ok"]
    if failed:
        status["status"] = "fail"
        status["failing"] = failed
        status["reason"] = "; ".join(f"{k}: {status[k]}" for k in failed)
    return (503 if failed else 200), status


def metrics_allowed(cfg: Config, request) -> bool:
    token = cfg.values.get("web.metrics_token", "")
    if token:
        given = request.get_header("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    environ = request.environ
    if (environ.get(proxy.FORWARDED) or environ.get("HTTP_X_FORWARDED_FOR")
            or environ.get("HTTP_FORWARDED")):
        return False  # came through a proxy: loopback says nothing about the client
    try:
        return ipaddress.ip_address(environ.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def install(app: bottle.Bottle, cfg: Config) -> None:
    """Add (or replace) ``/healthz`` and ``/metrics`` on ``app``."""

    def healthz():
        code, status = health(cfg)
        bottle.response.status = code
        bottle.response.content_type = "application/json"
        bottle.response.set_header("Cache-Control", "no-store")
        return json.dumps(status)

    def metrics_page():
        if not metrics_allowed(cfg, bottle.request):
            bottle.response.status = 403
            bottle.response.content_type = "text/plain"
            return ("metrics need 'Authorization: Bearer <web.metrics_token>' (or a "
                    "loopback client when no token is set)\n")
        bottle.response.content_type = "text/plain; version=0.0.4; charset=utf-8"
        bottle.response.set_header("Cache-Control", "no-store")
        return metrics.collect(cfg, db.obj)

    # public=True: the panel's login guard lets these through; they guard themselves.
    app.route("/healthz", "GET", healthz, public=True)
    app.route("/metrics", "GET", metrics_page, public=True)
