"""Connection caps of the real ``appliance mta`` (issue 11, point 5): over
``smtp.max_connections_per_ip`` sessions from one address, or ``smtp.max_connections`` in
all, a new connection gets ``421 4.7.0`` instead of the greeting, counted in the web
service's ``/metrics``; the MTA goes on serving, and a slot comes back when a session
ends.  Two MTA processes share the counts.  Loopback offers many source addresses
(127.0.0.2, ...), which stand for different peers."""
from __future__ import annotations

import smtplib
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import DOMAIN, Box, message, wait_for

PER_IP, TOTAL = 3, 5


def session(box: Box, source: str = "127.0.0.1") -> tuple[socket.socket, bytes]:
    """A connection from ``source``; returns it with the server's first line."""
    sock = socket.create_connection(("127.0.0.1", box.smtp_port), timeout=10,
                                    source_address=(source, 0))
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = sock.recv(1024)
        if not chunk:
            break
        line += chunk
    return sock, line


def refused(box: Box, source: str) -> bytes:
    sock, line = session(box, source)
    try:
        assert sock.recv(1024) == b"", "a refused connection is closed by the server"
    finally:
        sock.close()
    return line


def metrics(box: Box) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{box.web_port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


@pytest.fixture
def capped(box):
    box.set_ini("smtp", "max_connections_per_ip", str(PER_IP))
    box.set_ini("smtp", "max_connections", str(TOTAL))
    box.set_ini("smtp", "processes", "2")
    box.start("mta")
    box.start("web")
    return box


def test_per_ip_and_total_caps_answer_421_and_are_counted(capped):
    box = capped
    wait_for(lambda: metrics(box)["appliance_mta_connections_open"] == 0, timeout=10)
    accepted = metrics(box)["appliance_mta_connections_accepted_total"]  # start's probe
    held = []
    try:
        for _ in range(PER_IP):
            sock, line = session(box)
            assert line.startswith(b"220 "), line
            held.append(sock)
        line = refused(box, "127.0.0.1")
        assert line.startswith(b"421 4.7.0 ") and b"your address" in line, line
        # another peer is not held back by the first one's cap ...
        for _ in range(TOTAL - PER_IP):
            sock, line = session(box, "127.0.0.2")
            assert line.startswith(b"220 "), line
            held.append(sock)
        # ... until the box as a whole is full
        line = refused(box, "127.0.0.3")
        assert line.startswith(b"421 4.7.0 Too many connections"), line
        samples = metrics(box)
        assert samples['appliance_mta_connections_refused_total{cap="max_connections_per_ip"}'] \
            == 1
        assert samples['appliance_mta_connections_refused_total{cap="max_connections"}'] == 1
        assert samples["appliance_mta_connections_open"] == TOTAL
        assert samples["appliance_mta_connections_accepted_total"] == accepted + TOTAL
    finally:
        for sock in held:
            sock.close()
    # the slots come back: a full transaction from the first address goes through
    wait_for(lambda: metrics(box)["appliance_mta_connections_open"] == 0, timeout=10)
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=10) as client:
        assert client.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message()) == {}
    assert box.procs["mta"].poll() is None


def test_a_capped_peer_cannot_starve_the_others(capped):
    """Sessions from one address that come and go keep its count exact: after many
    rounds it still gets exactly PER_IP sessions, and other peers still get in."""
    box = capped
    for _ in range(10):
        socks = [session(box)[0] for _ in range(PER_IP)]
        for sock in socks:
            sock.close()
    wait_for(lambda: metrics(box)["appliance_mta_connections_open"] == 0, timeout=10)
    held = [session(box) for _ in range(PER_IP)]
    try:
        assert all(line.startswith(b"220 ") for _, line in held), held
        assert refused(box, "127.0.0.1").startswith(b"421 4.7.0 ")
        sock, line = session(box, "127.0.0.9")
        sock.close()
        assert line.startswith(b"220 "), line
    finally:
        for sock, _ in held:
            sock.close()


def test_ipv6_peers_are_counted_by_their_64():
    from appliance.mta.connections import peer_key
    assert peer_key("2001:db8:1:2:aaaa::1") == peer_key("2001:db8:1:2:ffff::9")
    assert peer_key("2001:db8:1:2::1") != peer_key("2001:db8:1:3::1")
    assert peer_key("::ffff:192.0.2.7") == peer_key("192.0.2.7") == "192.0.2.7"
    assert peer_key("192.0.2.7") != peer_key("192.0.2.8")


def test_a_negative_cap_is_refused_with_the_reason(box):
    from conftest import appliance
    box.set_ini("smtp", "max_connections", "-1")
    proc = appliance("mta", "-c", str(box.ini), check=False)
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert "smtp.max_connections must be 0 (no cap) or more" in err and "Traceback" not in err


def test_accepted_sessions_have_nagle_off():
    """Every SMTP reply leaves at once: the listening socket is made so that asyncio sets
    TCP_NODELAY on each accepted connection (a protocol-0 socket made the EHLO reply wait
    for the client's delayed ACK, about 40 ms per session)."""
    import asyncio
    import socket

    from appliance.mta.inbound import listening_socket

    async def accept_one() -> int:
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        sock = listening_socket("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return value

    assert asyncio.run(accept_one()) != 0


@pytest.fixture
def impatient(box):
    box.set_ini("smtp", "idle_timeout", "1")
    box.start("mta")
    return box


def ask(sock: socket.socket, command: bytes) -> bytes:
    sock.sendall(command + b"\r\n")
    reply = b""
    while not reply.endswith(b"\r\n") or reply.splitlines()[-1][3:4] == b"-":
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply


def test_an_idle_session_is_closed_after_smtp_idle_timeout(impatient):
    sock, greeting = session(impatient)
    try:
        assert greeting.startswith(b"220")
        assert ask(sock, b"EHLO client.example").startswith(b"250")
        sock.settimeout(5)
        started = time.monotonic()
        assert sock.recv(1024) == b""   # closed by the server, with nothing more said
        assert 0.8 < time.monotonic() - started < 3
    finally:
        sock.close()


def test_a_busy_session_outlives_the_idle_timeout(impatient):
    """The timeout is between commands, and between DATA lines: a session that keeps
    talking (for three timeouts) is never cut, and its message is accepted."""
    sock, _ = session(impatient)
    try:
        assert ask(sock, b"EHLO client.example").startswith(b"250")
        for _ in range(4):
            time.sleep(0.4)
            assert ask(sock, b"NOOP").startswith(b"250")
        assert ask(sock, b"MAIL FROM:<ben@client.example>").startswith(b"250")
        assert ask(sock, f"RCPT TO:<tickets@{DOMAIN}>".encode()).startswith(b"250")
        assert ask(sock, b"DATA").startswith(b"354")
        for line in message().split(b"\r\n")[:-1] + [b"one more line"] * 4:
            sock.sendall(line + b"\r\n")
            time.sleep(0.4)
        assert ask(sock, b".").startswith(b"250 2.0.0")
        assert ask(sock, b"QUIT").startswith(b"221")
    finally:
        sock.close()


def test_the_idle_timeout_must_be_a_positive_number(box):
    box.set_ini("smtp", "idle_timeout", "0")
    proc = subprocess.run([box.command, "mta", "-c", str(box.ini)], capture_output=True,
                          timeout=30)
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode != 0 and "smtp.idle_timeout must be 1 or more seconds" in out
