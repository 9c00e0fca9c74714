"""The DNS seam: the real dnspython-backed resolver against servers on loopback (one that
answers from a zone, one that never answers), the table resolver, the MX helper."""
from __future__ import annotations

import json
import random
import socket
import threading
import time

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from appliance import dnsresolver
from appliance.dnsresolver import (DeadlineResolver, DNSResolver, DNSTimeout, NoAnswer,
                                   NullMX, NXDomain, PermanentDNSError, ServerFailure,
                                   TableResolver, TemporaryDNSError, mail_exchangers)

ZONE = {
    ("acme.example", "TXT"): ['"v=spf1 ip4:192.0.2.0/24 " "-all"'],
    ("acme.example", "MX"): ["20 mx2.acme.example.", "10 mx1.acme.example."],
    ("acme.example", "A"): ["192.0.2.1"],
    ("acme.example", "AAAA"): ["2001:db8::1"],
    ("1.2.0.192.in-addr.arpa", "PTR"): ["mx1.acme.example."],
    ("nomail.example", "MX"): ["0 ."],
}
SERVFAIL = {"broken.example"}


class ZoneServer:
    """A UDP DNS server on loopback answering from ZONE (``answer=False``: never answers)."""

    def __init__(self, answer: bool = True, delay: float = 0.0) -> None:
        self.delay = delay       # seconds before each answer, answers sent concurrently
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            self.queries += 1
            if self.answer:
                wire = self._reply(dns.message.from_wire(data)).to_wire()
                if self.delay:
                    threading.Timer(self.delay, self.sock.sendto, (wire, peer)).start()
                else:
                    self.sock.sendto(wire, peer)

    def _reply(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        if name in SERVFAIL:
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif (name, rdtype) in ZONE:
            reply.answer.append(dns.rrset.from_text_list(q.name, 300, "IN", rdtype,
                                                         ZONE[(name, rdtype)]))
        elif not any(n == name for n, _t in ZONE):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def zone():
    server = ZoneServer()
    yield server
    server.close()


@pytest.fixture
def silent():
    server = ZoneServer(answer=False)
    yield server
    server.close()


def test_real_resolver_answers_plain_values(zone):
    r = DNSResolver(["127.0.0.1"], port=zone.port, timeout=1, lifetime=2)
    assert r.txt("acme.example") == ["v=spf1 ip4:192.0.2.0/24 -all"]
    assert r.mx("ACME.example.") == [(10, "mx1.acme.example"), (20, "mx2.acme.example")]
    assert r.a("acme.example") == ["192.0.2.1"]
    assert r.aaaa("acme.example") == ["2001:db8::1"]
    assert r.ptr("192.0.2.1") == ["mx1.acme.example"]
    assert r.mx("nomail.example") == [(0, dnsresolver.NULL_MX)]


def test_real_resolver_tells_permanent_from_temporary(zone):
    r = DNSResolver(["127.0.0.1"], port=zone.port, timeout=1, lifetime=2)
    with pytest.raises(NXDomain) as exc:
        r.txt("missing.example")
    assert exc.value.name == "missing.example" and exc.value.rdtype == "TXT"
    with pytest.raises(NoAnswer):
        r.a("nomail.example")
    with pytest.raises(ServerFailure):
        r.txt("broken.example")
    assert issubclass(NXDomain, PermanentDNSError) and issubclass(NoAnswer, PermanentDNSError)
    assert issubclass(ServerFailure, TemporaryDNSError)
    assert issubclass(DNSTimeout, TemporaryDNSError)


def test_real_resolver_times_out_fast_on_a_silent_server(silent):
    r = DNSResolver(["127.0.0.1"], port=silent.port, timeout=0.3, lifetime=0.8)
    started = time.monotonic()
    with pytest.raises(DNSTimeout):
        r.txt("acme.example")
    assert time.monotonic() - started < 2.0
    assert silent.queries >= 1   # it really asked the loopback server, nothing else


def test_real_resolver_default_timeouts_are_short(silent):
    r = DNSResolver(["127.0.0.1"], port=silent.port)
    started = time.monotonic()
    with pytest.raises(DNSTimeout):
        r.mx("acme.example")
    assert time.monotonic() - started < dnsresolver.LIFETIME + 1.5


def test_real_resolver_unused_port_is_temporary():
    r = DNSResolver(["127.0.0.1"], port=9, timeout=0.2, lifetime=0.5)
    started = time.monotonic()
    with pytest.raises(TemporaryDNSError):
        r.a("acme.example")
    assert time.monotonic() - started < 2.0


def test_no_nameserver_is_a_server_failure():
    with pytest.raises(ServerFailure):
        DNSResolver([]).txt("acme.example")


def test_deadline_shortens_the_real_query_and_then_refuses(silent):
    r = DeadlineResolver(DNSResolver(["127.0.0.1"], port=silent.port, timeout=5,
                                     lifetime=10), 0.5)
    started = time.monotonic()
    with pytest.raises(DNSTimeout):
        r.txt("acme.example")
    assert time.monotonic() - started < 1.5
    started = time.monotonic()
    with pytest.raises(DNSTimeout, match="used up"):
        r.a("acme.example")
    assert time.monotonic() - started < 0.1


def test_deadline_with_a_fake_clock_passes_answers_through():
    now = [0.0]
    r = DeadlineResolver(TableResolver({"a.example": {"A": "192.0.2.1"}}), 2.0,
                         clock=lambda: now[0])
    assert r.a("a.example") == ["192.0.2.1"]
    now[0] = 2.5
    with pytest.raises(DNSTimeout):
        r.a("a.example")


TABLE = {
    "Acme.Example.": {"TXT": ["v=spf1 -all", b"raw bytes"],
                      "MX": [(20, "b.acme.example."), "10 a.acme.example"],
                      "A": "192.0.2.1", "AAAA": ["2001:db8::1"]},
    "192.0.2.1": {"PTR": "a.acme.example."},
    "www.acme.example": {"CNAME": "acme.example"},
    "slow.example": DNSTimeout,
    "half.example": {"TXT": ServerFailure("boom"), "A": "192.0.2.9"},
    "nomail.example": {"MX": (0, ".")},
}


def test_table_resolver_answers_like_the_real_one():
    t = TableResolver(TABLE)
    assert t.txt("acme.example") == ["v=spf1 -all", "raw bytes"]
    assert t.mx("ACME.example") == [(10, "a.acme.example"), (20, "b.acme.example")]
    assert t.a("acme.example.") == ["192.0.2.1"]
    assert t.aaaa("acme.example") == ["2001:db8::1"]
    assert t.ptr("192.0.2.1") == ["a.acme.example"]
    assert t.ptr("1.2.0.192.in-addr.arpa") == ["a.acme.example"]
    assert t.a("www.acme.example") == ["192.0.2.1"]
    assert t.mx("nomail.example") == [(0, ".")]
    assert t.calls[0] == ("acme.example", "TXT")


def test_table_resolver_errors():
    t = TableResolver(TABLE)
    with pytest.raises(NXDomain):
        t.txt("missing.example")
    with pytest.raises(NoAnswer):
        t.txt("192.0.2.1")
    with pytest.raises(DNSTimeout):
        t.a("slow.example")
    with pytest.raises(ServerFailure, match="boom"):
        t.txt("half.example")
    assert t.a("half.example") == ["192.0.2.9"]


def test_table_resolver_from_json(tmp_path):
    path = tmp_path / "dns.json"
    path.write_text(json.dumps({"acme.example": {"MX": ["10 mx.acme.example"],
                                                 "TXT": "!timeout"},
                                "pair.example": {"MX": [[5, "mx.pair.example"]]},
                                "down.example": "!servfail"}))
    t = TableResolver.from_file(path)
    assert t.mx("acme.example") == [(10, "mx.acme.example")]
    assert t.mx("pair.example") == [(5, "mx.pair.example")]
    with pytest.raises(DNSTimeout):
        t.txt("acme.example")
    with pytest.raises(ServerFailure):
        t.a("down.example")


def test_mail_exchangers_orders_and_shuffles_equal_preferences():
    t = TableResolver({"acme.example": {"MX": [(10, "a.mx"), (10, "b.mx"), (10, "c.mx"),
                                               (5, "first.mx"), (20, "last.mx")]}})
    seen = set()
    for seed in range(30):
        hosts = mail_exchangers(t, "acme.example", random.Random(seed))
        assert hosts[0] == "first.mx" and hosts[-1] == "last.mx"
        assert sorted(hosts[1:4]) == ["a.mx", "b.mx", "c.mx"]
        seen.add(tuple(hosts[1:4]))
    assert len(seen) > 1


def test_mail_exchangers_implicit_null_and_missing():
    t = TableResolver({"plain.example": {"A": "192.0.2.7"}, "nomail.example": {"MX": (0, ".")},
                       "slow.example": {"MX": DNSTimeout}})
    assert mail_exchangers(t, "Plain.Example") == ["plain.example"]
    with pytest.raises(NullMX):
        mail_exchangers(t, "nomail.example")
    with pytest.raises(NXDomain):
        mail_exchangers(t, "missing.example")
    with pytest.raises(TemporaryDNSError):
        mail_exchangers(t, "slow.example")


def test_process_resolver_can_be_installed_and_restored():
    table = TableResolver({})
    before = dnsresolver.get_resolver()
    with dnsresolver.installed(table):
        assert dnsresolver.get_resolver() is table
    assert dnsresolver.get_resolver() is before
    assert isinstance(before, dnsresolver.Resolver)
    assert isinstance(table, dnsresolver.Resolver)


def test_configure_builds_a_short_timeout_resolver(silent):
    previous = dnsresolver.set_resolver(None)
    try:
        r = dnsresolver.configure(["127.0.0.1"], port=silent.port, timeout=0.2, lifetime=0.4)
        assert dnsresolver.get_resolver() is r
        with pytest.raises(DNSTimeout):
            dnsresolver.get_resolver().txt("acme.example")
    finally:
        dnsresolver.set_resolver(previous)


def test_nameservers_that_stop_answering_are_cut_out_then_tried_again(silent):
    """Three timeouts in a row: the next queries fail at once (temperror for the mail)
    instead of each waiting out its timeout; after DEAD_FOR they are asked again."""
    now = [1000.0]
    r = DNSResolver(["127.0.0.1"], port=silent.port, timeout=0.2, lifetime=0.3)
    r._clock = lambda: now[0]
    for n in range(dnsresolver.DEAD_AFTER):
        with pytest.raises(DNSTimeout):
            r.txt(f"a{n}.example")
    asked = silent.queries
    started = time.monotonic()
    with pytest.raises(DNSTimeout, match="did not answer 3 queries in a row"):
        r.txt("b.example")
    assert time.monotonic() - started < 0.05 and silent.queries == asked
    now[0] += dnsresolver.DEAD_FOR + 1
    with pytest.raises(DNSTimeout, match="timed out"):
        r.txt("c.example")
    assert silent.queries > asked


def test_an_answer_keeps_the_nameservers_in(zone):
    r = DNSResolver(["127.0.0.1"], port=zone.port, timeout=0.3, lifetime=0.6)
    r._answered(False)
    r._answered(False)
    assert r.txt("acme.example")         # an answer resets the count
    r._answered(False)
    r._answered(False)
    assert r.mx("acme.example")


def test_the_same_query_in_flight_is_asked_once():
    server = ZoneServer(delay=0.3)
    try:
        r = DNSResolver(["127.0.0.1"], port=server.port, timeout=2, lifetime=3)
        results = []
        threads = [threading.Thread(target=lambda: results.append(r.txt("acme.example")))
                   for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(results) == 10 and all(x == results[0] for x in results)
        assert server.queries == 1
    finally:
        server.close()


def test_negative_answers_are_cached_for_their_ttl(zone):
    r = DNSResolver(["127.0.0.1"], port=zone.port, timeout=0.5, lifetime=1)
    for _ in range(3):
        with pytest.raises(NXDomain):
            r.txt("missing.example")
        with pytest.raises(NoAnswer):
            r.ptr("acme.example")
    assert zone.queries == 2
