"""Direct delivery to recipients' MX, DNS from a table: MX order, equal preferences shuffled,
implicit MX (A fallback), null MX, a dead first MX, opportunistic STARTTLS, one connection
per destination.  Several sinks share one port on different loopback addresses, as the MX
hosts of a domain do."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from appliance import config, dnsresolver
from appliance.helpdesk.database import close_database
from appliance.outbound import runner
from conftest import free_port, wait_for
from smtpsinks import Sink, events, queue, recipients, reload, set_settings, tls_material

START = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(box, frozen):
    database = box.db()
    yield database
    close_database()


@pytest.fixture
def port():
    return free_port()


def direct(box, port) -> config.Config:
    box.set_ini("delivery", "mx_port", str(port))
    box.set_ini("delivery", "timeout", "5")
    set_settings(outbound_mode="direct", outbound_retry_intervals="60")
    return config.load(box.ini)


def test_mx_order_is_honoured(box, db, port):
    dns = dnsresolver.TableResolver({
        "dest.example": {"MX": [(20, "mx-b.dest.example"), (10, "mx-a.dest.example")]},
        "mx-a.dest.example": {"A": "127.0.0.3"}, "mx-b.dest.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.3", port) as best, Sink("127.0.0.1", port) as backup:
        cfg = direct(box, port)
        mail = queue(["ann@dest.example"])
        runner.deliver_due(cfg, resolver=dns)
    assert len(best.received) == 1 and not backup.received
    assert recipients(reload(mail))["ann@dest.example"][:2] == (
        "delivered", f"mx-a.dest.example[127.0.0.3]:{port}")


def test_equal_preferences_are_shuffled(box, db, port):
    table = {"dest.example": {"MX": [(10, "one.dest.example"), (10, "two.dest.example")]},
             "one.dest.example": {"A": "127.0.0.3"}, "two.dest.example": {"A": "127.0.0.4"}}
    dns = dnsresolver.TableResolver(table)
    address = {"one.dest.example": "127.0.0.3", "two.dest.example": "127.0.0.4"}
    with Sink("127.0.0.3", port) as one, Sink("127.0.0.4", port) as two:
        cfg = direct(box, port)
        for seed in range(8):
            expected = dnsresolver.mail_exchangers(dns, "dest.example", random.Random(seed))[0]
            mail = queue(["ann@dest.example"])
            runner.deliver_due(cfg, resolver=dns, rng=random.Random(seed))
            remote = recipients(reload(mail))["ann@dest.example"][1]
            assert remote == f"{expected}[{address[expected]}]:{port}"
    assert one.received and two.received          # both got some: the order is shuffled
    assert len(one.received) + len(two.received) == 8


def test_no_mx_falls_back_to_the_domains_address(box, db, port):
    dns = dnsresolver.TableResolver({"dest.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port) as sink:
        cfg = direct(box, port)
        mail = queue(["ann@dest.example"])
        runner.deliver_due(cfg, resolver=dns)
    assert len(sink.received) == 1
    assert recipients(reload(mail))["ann@dest.example"][:2] == (
        "delivered", f"dest.example[127.0.0.1]:{port}")


def test_null_mx_bounces_with_the_reason(box, db, port):
    dns = dnsresolver.TableResolver({"dest.example": {"MX": (0, ".")}})
    cfg = direct(box, port)
    mail = queue(["ann@dest.example"])
    assert runner.deliver_due(cfg, resolver=dns)["bounced"] == 1
    mail = reload(mail)
    assert mail.status == "bounced" and mail.finished_at == START
    assert recipients(mail)["ann@dest.example"][2] == (
        "dest.example accepts no mail (null MX, RFC 7505)")
    assert events(mail)[0] == ("bounced", "ann@dest.example: dest.example accepts no mail "
                                          "(null MX, RFC 7505)")


def test_missing_domain_bounces_and_dns_trouble_defers(box, db, port):
    dns = dnsresolver.TableResolver({"slow.example": dnsresolver.DNSTimeout})
    cfg = direct(box, port)
    gone = queue(["ann@nowhere.example"])
    slow = queue(["bob@slow.example"])
    runner.deliver_due(cfg, resolver=dns)
    assert recipients(reload(gone))["ann@nowhere.example"][0::2] == (
        "bounced", "nowhere.example: no such domain (DNS NXDOMAIN)")
    status, _, reply = recipients(reload(slow))["bob@slow.example"]
    assert status == "deferred" and reply.startswith("MX lookup for slow.example failed")


def test_dead_first_mx_then_the_second(box, db, port):
    dns = dnsresolver.TableResolver({
        "dest.example": {"MX": [(10, "dead.dest.example"), (20, "alive.dest.example")]},
        "dead.dest.example": {"A": "127.0.0.2"},        # nothing listens there
        "alive.dest.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port) as sink:
        cfg = direct(box, port)
        mail = queue(["ann@dest.example"])
        runner.deliver_due(cfg, resolver=dns)
    assert len(sink.received) == 1
    assert recipients(reload(mail))["ann@dest.example"][:2] == (
        "delivered", f"alive.dest.example[127.0.0.1]:{port}")


def test_all_mx_dead_is_deferred_with_each_reason(box, db, port):
    dns = dnsresolver.TableResolver({
        "dest.example": {"MX": [(10, "a.dest.example"), (20, "b.dest.example")]},
        "a.dest.example": {"A": "127.0.0.2"}, "b.dest.example": {"A": "127.0.0.5"}})
    cfg = direct(box, port)
    mail = queue(["ann@dest.example"])
    runner.deliver_due(cfg, resolver=dns)
    reply = recipients(reload(mail))["ann@dest.example"][2]
    assert reply == (f"a.dest.example[127.0.0.2]:{port}: connection refused; "
                     f"b.dest.example[127.0.0.5]:{port}: connection refused")
    assert reload(mail).status == "deferred"


def test_opportunistic_starttls_without_verification(box, db, port, tmp_path):
    ctx, _ = tls_material(tmp_path, names=("some.other.name",))   # untrusted, wrong name
    dns = dnsresolver.TableResolver({"dest.example": {"MX": (10, "mx.dest.example")},
                                     "mx.dest.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port, tls_context=ctx) as sink:
        cfg = direct(box, port)
        mail = queue(["ann@dest.example"])
        runner.deliver_due(cfg, resolver=dns)
    assert sink.received[0].tls
    assert "not verified" in dict(events(reload(mail)))["attempt"]


def test_one_connection_per_destination(box, db, port):
    dns = dnsresolver.TableResolver({
        "dest.example": {"MX": (10, "mx.shared.example")},
        "other.example": {"MX": (10, "mx.shared.example")},
        "mx.shared.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port) as sink:
        cfg = direct(box, port)
        for i in range(3):
            queue([f"u{i}@dest.example"])
        both = queue(["x@dest.example", "y@other.example"])
        counts = runner.deliver_due(cfg, resolver=dns)
    assert counts["connections"] == 2 and sink.connections == 2
    assert len(sink.received) == 5
    both = reload(both)
    assert both.status == "delivered" and both.attempts == 1
    assert [e for e, _ in events(both)].count("attempt") == 2


def test_killed_delivery_run_is_retried(box, db, port, frozen):
    """A delivery run in another process is SIGKILLed while the server holds DATA; the
    message stays queued and the next run after the lease delivers it."""
    box.set_dns({"dest.example": {"MX": [[10, "mx.dest.example"]]},
                 "mx.dest.example": {"A": "127.0.0.1"}})
    with Sink("127.0.0.1", port) as sink:
        cfg = direct(box, port)
        mail = queue(["ann@dest.example"])
        sink.behaviour.hold_data = 30
        offset = (START - datetime.now(timezone.utc)).total_seconds()
        code = ("import sys; from appliance import config; "
                "from appliance.helpdesk.database import open_database; "
                "from appliance.outbound import runner; cfg = config.load(sys.argv[1]); "
                "open_database(cfg.database); runner.deliver_due(cfg)")
        proc = subprocess.Popen([sys.executable, "-c", code, str(box.ini)],
                                env={**os.environ, "APPLIANCE_CLOCK_OFFSET": str(offset)},
                                start_new_session=True)
        try:
            # claimed, connected, and the server now sits on the DATA it received
            wait_for(lambda: sink.connections >= 1 and sink.in_data, timeout=20)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        mail = reload(mail)
        assert mail.status == "queued" and mail.attempts == 0 and not sink.received
        sink.behaviour.hold_data = 0
        assert runner.deliver_due(cfg)["messages"] == 0      # still leased
        frozen.advance(runner.LEASE.total_seconds() + 1)
        assert runner.deliver_due(cfg)["delivered"] == 1
    mail = reload(mail)
    assert (mail.status, mail.attempts, len(sink.received)) == ("delivered", 1, 1)
    assert mail.finished_at == START + timedelta(seconds=runner.LEASE.total_seconds() + 1)
