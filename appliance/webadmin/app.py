"""The web service.  For now it serves ``/healthz`` (database reachable, spool depth);
the admin panel is built on this app factory."""
from __future__ import annotations

import json
import logging

import bottle

from appliance import clock
from appliance.config import Config
from appliance.helpdesk.database import open_database
from appliance.helpdesk.models import db
from appliance.mta.spool import Spool

log = logging.getLogger("appliance.web")


def make_app(cfg: Config) -> bottle.Bottle:
    app = bottle.Bottle()
    spool = Spool(cfg.spool_dir)

    @app.get("/healthz")
    def healthz():
        status = {"database": "ok", "spool_pending": None, "time": clock.iso(clock.now())}
        code = 200
        try:
            db.execute_sql("SELECT 1")
        except Exception as exc:  # report, never crash the health check
            status["database"] = f"error: {exc}"
            code = 503
        try:
            status["spool_pending"] = len(spool.pending())
        except OSError as exc:
            status["spool_pending"] = f"error: {exc}"
            code = 503
        bottle.response.status = code
        bottle.response.content_type = "application/json"
        return json.dumps(status)

    return app


def run(cfg: Config) -> int:
    import signal

    from waitress.server import create_server
    open_database(cfg.database)
    host, port = cfg.listen("web.listen")
    server = create_server(make_app(cfg), host=host, port=port, threads=4)
    log.info("web listening on http://%s:%d/", host, port)

    def stop(signum, frame):
        server.close()
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    return 0
