"""The web service: the admin panel (see docs/panel.md), its JSON API, ``/healthz`` and
``/metrics`` (appliance/webadmin/health.py).

:func:`make_app` builds the Bottle app: every route is wrapped by the :class:`Guard`
plugin (login, CSRF, role), every response carries the security headers.  :func:`run`
serves it with waitress."""
from __future__ import annotations

import json
import logging

import bottle

from appliance.config import Config
from appliance.helpdesk.database import open_database
from appliance.webadmin import security
from appliance.webadmin.pages import HERE, render

log = logging.getLogger("appliance.web")


def make_app(cfg: Config) -> bottle.Bottle:
    from appliance.webadmin import (adminpages, api, attachments, auth, center, health,
                                    home, items, mailpages, users)
    app = security.PanelApp()
    app.config["appliance.cfg"] = cfg

    def forbidden():
        bottle.response.status = 403
        return render("error.html", title="Admins only",
                      message="This page changes how the appliance works, so only admins "
                              "can open it. Ask an admin if you need something changed.")
    app.install(security.Guard(forbidden))
    health.install(app, cfg)   # /healthz and /metrics

    @app.get("/static/<name:path>", public=True)
    def static(name):
        response = bottle.static_file(name, root=str(HERE / "static"))
        response.set_header("Cache-Control", "public, max-age=3600")
        return response

    for module in (auth, home, items, attachments, mailpages, center, adminpages, users,
                   api):
        module.routes(app, cfg)
    install_error_pages(app)
    return app


def install_error_pages(app: bottle.Bottle) -> None:
    def error_page(error):
        if bottle.request.path.startswith("/api/"):
            bottle.response.content_type = "application/json"
            return json.dumps({"error": error.body or error.status_line})
        titles = {401: "Log in first", 403: "Not allowed", 404: "Not found",
                  405: "Not allowed here", 400: "Something was wrong with the request"}
        title = titles.get(error.status_code, "Something went wrong")
        return render("error.html", title=title,
                      message=error.body if error.status_code < 500 else
                      "The panel hit an error; it is logged. Try again, or look at the "
                      "web service's log.")
    for code in (400, 401, 403, 404, 405, 429, 500):
        app.error(code)(error_page)


def run(cfg: Config) -> int:
    import signal

    from waitress.server import create_server
    from appliance.webadmin import proxy
    open_database(cfg.database, create=False)
    host, port = cfg.listen("web.listen")
    # proxy headers are handled by proxy.wrap (believed from web.trusted_proxy only)
    server = create_server(proxy.wrap(make_app(cfg), cfg), host=host, port=port, threads=4,
                           clear_untrusted_proxy_headers=False)
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
