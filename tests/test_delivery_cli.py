"""``appliance outbound test``: each step reported, exit 0 only when all passed."""
from __future__ import annotations

import socket
import threading

import pytest

from appliance.helpdesk.database import close_database
from conftest import free_port
from smtpsinks import Sink, set_settings, tls_material


@pytest.fixture
def db(box):
    database = box.db()
    yield database
    close_database()


def run(box, *extra):
    proc = box.cli("outbound", "test", *extra, check=False)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def smarthost(port, security="none", **more):
    set_settings(outbound_mode="smarthost", outbound_smarthost=f"localhost:{port}",
                 outbound_security=security, **more)


def test_smarthost_with_starttls_and_auth_passes(box, db, tmp_path):
    ctx, ca_file = tls_material(tmp_path)
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(tls_context=ctx, require_starttls=True, users={"agent": "s3cret"}) as sink:
        smarthost(sink.port, "starttls", outbound_username="agent", outbound_password="s3cret")
        code, out, err = run(box, "--to", "ann@client.example")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("DNS localhost: ok (")
    assert lines[1].startswith(f"connect localhost:{sink.port}: ok (220 ")
    assert lines[2] == "EHLO: ok (250)"
    assert lines[3].startswith("STARTTLS: ok (TLSv1.")
    assert "certificate verified" in lines[3]
    assert lines[4] == "EHLO: ok (250)"
    assert lines[5].startswith("AUTH as agent: ok (235")
    assert lines[6] == "MAIL FROM:<support@box.example>: ok (250 2.1.0 OK)"
    assert lines[7] == "RCPT TO:<ann@client.example>: ok (250 2.1.5 OK)"
    assert lines[8].startswith("QUIT: ok (221")
    assert lines[9].startswith("all steps passed")
    assert not sink.received                       # nothing was sent


def test_json_output(box, db):
    with Sink() as sink:
        smarthost(sink.port)
        proc = box.cli("outbound", "test", "--json")
    import json
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True
    assert [s["step"] for s in doc["steps"]][:3] == ["DNS localhost", f"connect localhost:"
                                                     f"{sink.port}", "EHLO"]


def test_connection_refused(box, db):
    port = free_port()
    smarthost(port)
    code, out, _ = run(box)
    assert code == 1
    assert f"connect localhost:{port}: FAILED: connection refused" in out
    assert out.rstrip().endswith("outbound test FAILED (see the step above)")


def test_timeout(box, db):
    """A server that accepts the connection and never greets."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    box.set_ini("delivery", "timeout", "1")
    smarthost(port)
    try:
        code, out, _ = run(box)
    finally:
        listener.close()
        for conn, _ in held:
            conn.close()
    assert code == 1
    assert f"connect localhost:{port}: FAILED: timed out waiting for the server" in out


def test_certificate_not_trusted(box, db, tmp_path):
    ctx, _ = tls_material(tmp_path)
    with Sink(tls_context=ctx) as sink:
        smarthost(sink.port, "starttls")
        code, out, _ = run(box)
    assert code == 1
    assert ("STARTTLS: FAILED: TLS certificate not trusted: unable to get local issuer "
            "certificate") in out


def test_tls_mode_certificate_not_trusted(box, db, tmp_path):
    ctx, _ = tls_material(tmp_path)
    with Sink(implicit_tls=ctx) as sink:
        smarthost(sink.port, "tls")
        code, out, _ = run(box)
    assert code == 1
    assert (f"connect localhost:{sink.port}: FAILED: TLS certificate not trusted: "
            "unable to get local issuer certificate") in out


def test_auth_rejected_shows_the_servers_reply(box, db, tmp_path):
    ctx, ca_file = tls_material(tmp_path)
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(tls_context=ctx, require_starttls=True, users={"agent": "s3cret"}) as sink:
        smarthost(sink.port, "starttls", outbound_username="agent", outbound_password="nope")
        code, out, _ = run(box)
    assert code == 1
    assert "AUTH as agent: FAILED: 535 5.7.8 Authentication credentials invalid" in out
    assert "MAIL FROM" not in out


def test_rcpt_refused(box, db):
    with Sink() as sink:
        sink.behaviour.rcpt["nobody@client.example"] = "550 5.1.1 No such user"
        smarthost(sink.port)
        code, out, _ = run(box, "--to", "nobody@client.example")
    assert code == 1
    assert "RCPT TO:<nobody@client.example>: FAILED: 550 5.1.1 No such user" in out


def test_unresolvable_smarthost(box, db):
    set_settings(outbound_mode="smarthost", outbound_smarthost="smtp.invalid:587")
    code, out, _ = run(box)
    assert code == 1
    assert out.startswith("DNS smtp.invalid: FAILED: cannot resolve")


def test_direct_mode_uses_the_mx(box, db):
    port = free_port()
    box.set_ini("delivery", "mx_port", str(port))
    box.set_dns({"client.example": {"MX": [[10, "dead.client.example"],
                                           [20, "mx.client.example"]]},
                 "dead.client.example": {"A": "127.0.0.2"},
                 "mx.client.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port):
        code, out, _ = run(box, "--to", "ann@client.example")
    assert code == 0, out
    assert out.startswith(f"DNS MX client.example: ok (dead.client.example[127.0.0.2]:{port}, "
                          f"mx.client.example[127.0.0.1]:{port})")
    assert (f"connect dead.client.example[127.0.0.2]:{port}: FAILED: connection refused; "
            "the next MX was tried") in out
    assert f"connect mx.client.example[127.0.0.1]:{port}: ok" in out
    assert "STARTTLS: ok (not offered; sending in plain text)" in out


def test_direct_mode_dns_failures(box, db):
    box.set_dns({"null.example": {"MX": [[0, "."]]}})
    code, out, _ = run(box, "--to", "ann@nowhere.example")
    assert code == 1
    assert out.startswith("DNS MX nowhere.example: FAILED: nowhere.example: no such domain")
    code, out, _ = run(box, "--to", "ann@null.example")
    assert code == 1
    assert "null.example accepts no mail (null MX, RFC 7505)" in out
    code, out, _ = run(box)                          # the from-address's domain
    assert code == 1 and out.startswith("DNS MX box.example: FAILED")


def test_smarthost_mode_without_a_server(box, db):
    set_settings(outbound_mode="smarthost")
    code, out, err = run(box)
    assert code == 1 and "outbound.smarthost is empty" in err and not out
