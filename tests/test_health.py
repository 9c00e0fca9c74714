"""``/healthz`` and ``/metrics`` from :func:`appliance.webadmin.health.install`, tested on a
fresh Bottle app (the panel's app factory installs the same routes)."""
from __future__ import annotations

import io
import os
import re
import smtplib
import time

import bottle
import pytest

from conftest import DOMAIN, message, wait_for

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? '
                    r'-?[0-9.e+]+$')


def call(app, path: str, remote: str = "127.0.0.1", headers: dict | None = None):
    """One WSGI request; returns (status code, headers, body text)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "t", "SERVER_PORT": "80", "REMOTE_ADDR": remote,
               "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
               "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1"}
    for key, value in (headers or {}).items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    got = {}

    def start_response(status, response_headers, exc_info=None):
        got["status"], got["headers"] = int(status.split()[0]), dict(response_headers)
    body = b"".join(app(environ, start_response))
    return got["status"], got["headers"], body.decode()


def make(box, **ini):
    from appliance import config
    from appliance.webadmin import health
    for key, value in ini.items():
        box.set_ini(*key.split("__"), value)
    cfg = config.load(box.ini)
    box.db()
    app = bottle.Bottle()
    health.install(app, cfg)
    return app


def check_exposition(text: str) -> dict[str, float]:
    """Every line is a HELP/TYPE comment or a valid sample; returns the samples."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("# "):
            assert re.match(r"# (HELP|TYPE) [a-z_]+ \S", line), line
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return samples
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "appliance_incoming_messages" in families
    return samples


def test_healthz_reports_each_part(box):
    app = make(box)
    code, _, body = call(app, "/healthz")
    import json
    status = json.loads(body)
    assert code == 503 and status["failing"] == ["mta"]
    assert status["database"] == "ok" and status["worker"] == "ok"
    assert "nothing answers" in status["mta"]

    box.start("mta")
    code, headers, body = call(app, "/healthz")
    assert code == 200, body
    status = json.loads(body)
    assert status["status"] == "ok" and status["spool_pending"] == 0
    assert headers["Content-Type"] == "application/json"

    entry = box.root / "spool" / "new" / "0000000000000001-deadbeef"
    entry.write_bytes(b'{"mail_from": "", "rcpt_tos": []}\n\r\n')
    old = time.time() - 600
    os.utime(entry, (old, old))
    code, _, body = call(app, "/healthz")
    assert code == 503 and json.loads(body)["failing"] == ["worker"]
    assert "worker is not running" in json.loads(body)["worker"]


def test_metrics_loopback_only_without_a_token(box):
    app = make(box)
    code, _, body = call(app, "/metrics", remote="192.0.2.7")
    assert code == 403 and "web.metrics_token" in body
    # through a reverse proxy on the same host: loopback address, but not a local client
    assert call(app, "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})[0] == 403
    assert call(app, "/metrics", headers={"Forwarded": "for=203.0.113.9"})[0] == 403
    code, headers, body = call(app, "/metrics", remote="::1")
    assert code == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = check_exposition(body)
    assert samples['appliance_incoming_messages{action="created"}'] == 0
    assert samples['appliance_items{type="ticket"}'] == 0
    assert samples['appliance_outgoing_messages{status="queued"}'] == 0
    assert samples['appliance_spool_entries{queue="new"}'] == 0
    assert "appliance_relay_lag_seconds" in samples
    assert any(k.startswith("appliance_automation_runs") for k in samples)


def test_metrics_with_a_token(box):
    app = make(box, web__metrics_token="s3cret-token")
    assert call(app, "/metrics")[0] == 403  # loopback is not enough once a token is set
    assert call(app, "/metrics", headers={"Authorization": "Bearer wrong"})[0] == 403
    code, _, body = call(app, "/metrics", remote="198.51.100.4",
                         headers={"Authorization": "Bearer s3cret-token"})
    assert code == 200 and "appliance_up 1" in body


def test_metrics_count_what_happened(running_box):
    box = running_box
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        for n in range(3):
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                          message(subject=f"Case {n}"))
        smtp.sendmail("ben@client.example", [f"tasks@{DOMAIN}"], message(subject="Task"))
    wait_for(lambda: len(box.json("items", "list")) == 4, timeout=15)
    app = make(box)
    from appliance.outbound import queue
    for n in range(2):
        queue.enqueue(b"Subject: x\r\n\r\nx\r\n", mail_from=f"support@{DOMAIN}",
                      recipients=["ben@client.example"], subject="x",
                      message_id=f"<m{n}@box>", kind="test")
    samples = check_exposition(call(app, "/metrics")[2])
    assert samples['appliance_incoming_messages{action="created"}'] == 4
    assert samples['appliance_items{type="ticket"}'] == 3
    assert samples['appliance_items{type="task"}'] == 1
    # the running worker may already have tried them: count every status
    assert sum(v for k, v in samples.items()
               if k.startswith("appliance_outgoing_messages{")) == 2
    assert samples["appliance_outgoing_oldest_unfinished_age_seconds"] < 60
    assert samples["appliance_worker_last_processed_age_seconds"] < 60
    assert samples["appliance_schema_version"] >= 3


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_routes_replace_existing_ones(box, path):
    """make_app already has a /healthz: install() replaces it rather than adding a twin."""
    from appliance import config
    from appliance.webadmin import health
    app = bottle.Bottle()
    app.route(path, "GET", lambda: "old")
    box.db()
    health.install(app, config.load(box.ini))
    assert call(app, path)[2] != "old"
