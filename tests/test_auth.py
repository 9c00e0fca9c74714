"""Sender authentication with real crypto and DNS from a table: SPF, DKIM, DMARC, ARC, the
time bound on DNS trouble and the Authentication-Results header."""
from __future__ import annotations

import base64
import socket
import threading
import time

import authres
import dkim
import pytest
import spf
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from appliance.dnsresolver import DNSResolver, DNSTimeout, ServerFailure, TableResolver
from appliance.mta import auth_spf
from appliance.mta.auth import authenticate
from appliance.mta.auth_dmarc import org_domain

BOX = "box.example"
GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def message(from_addr: str = "Jane Doe <jane@acme.example>", body: str = "Hello, help me.",
            extra: str = "") -> bytes:
    return (f"From: {from_addr}\r\nTo: tickets@box.example\r\nSubject: Printer broken\r\n"
            f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@acme.example>\r\n"
            f"{extra}\r\n{body}\r\n").encode()


@pytest.fixture(scope="module")
def rsa_key() -> tuple[bytes, str]:
    """(PEM private key, p= value) of a fresh 2048-bit key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(der).decode()


def sign(raw: bytes, key: bytes, domain: str = "acme.example", selector: str = "s1",
         algorithm: bytes = b"rsa-sha256") -> bytes:
    return dkim.sign(raw, selector.encode(), domain.encode(), key, include_headers=HEADERS,
                     signature_algorithm=algorithm) + raw


def table(pub: str = "", **extra) -> dict:
    records = {
        "acme.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 mx -all", "google-site-verification=x"],
                         "MX": [(10, "mx.acme.example")]},
        "mx.acme.example": {"A": "203.0.113.25",
                            "TXT": "v=spf1 a -all"},
        "mail.acme.example": {"TXT": "v=spf1 include:acme.example -all"},
        "_dmarc.acme.example": {"TXT": "v=DMARC1; p=reject; rua=mailto:d@acme.example"},
        "soft.example": {"TXT": "v=spf1 ip4:192.0.2.0/24 ~all"},
        "neutral.example": {"TXT": "v=spf1 ?all"},
        "nospf.example": {"A": "192.0.2.99"},
        "slow.example": {"TXT": DNSTimeout},
        "broken.example": {"TXT": ServerFailure},
        "ptr.example": {"TXT": "v=spf1 ptr -all"},
        "192.0.2.10": {"PTR": "host.ptr.example"},
        "host.ptr.example": {"A": GOOD_IP},
        "bank.example": {"TXT": "v=spf1 ip4:192.0.2.200 -all"},
        "_dmarc.bank.example": {"TXT": "v=DMARC1; p=reject"},
        "evil.example": {"TXT": "v=spf1 ip4:198.51.100.0/24 -all"},
    }
    if pub:
        records["s1._domainkey.acme.example"] = {"TXT": f"v=DKIM1; k=rsa; p={pub}"}
        records["s1._domainkey.evil.example"] = {"TXT": f"v=DKIM1; k=rsa; p={pub}"}
        records["s1._domainkey.mail.acme.example"] = {"TXT": f"v=DKIM1; p={pub}"}
    records.update(extra)
    return records


def run(raw: bytes, records: dict | TableResolver, *, peer_ip: str | None = GOOD_IP,
        helo: str | None = "mx.acme.example", mail_from: str = "jane@acme.example", **kw):
    resolver = records if not isinstance(records, dict) else TableResolver(records)
    return authenticate(raw, peer_ip=peer_ip, helo=helo, mail_from=mail_from,
                        resolver=resolver, authserv_id=BOX, **kw)


# --- SPF -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mail_from, peer_ip, expected", [
    ("jane@acme.example", GOOD_IP, "pass"),
    ("jane@acme.example", "203.0.113.25", "pass"),        # via the mx mechanism
    ("bounce@mail.acme.example", GOOD_IP, "pass"),        # via include:
    ("jane@acme.example", BAD_IP, "fail"),
    ("jane@soft.example", BAD_IP, "softfail"),
    ("jane@neutral.example", BAD_IP, "neutral"),
    ("jane@nospf.example", GOOD_IP, "none"),
    ("jane@nowhere.example", GOOD_IP, "none"),
    ("jane@slow.example", GOOD_IP, "temperror"),
    ("jane@broken.example", GOOD_IP, "temperror"),
    ("jane@ptr.example", GOOD_IP, "pass"),                 # via ptr, validated by A
    ("jane@ptr.example", BAD_IP, "fail"),
])
def test_spf_results(mail_from, peer_ip, expected):
    res = run(message(), table(), mail_from=mail_from, peer_ip=peer_ip)
    assert res.spf == expected
    assert res.spf_checks[0].identity == "mailfrom"
    assert res.spf_checks[0].sender == mail_from


def test_spf_permerror_for_a_broken_record():
    res = run(message(), table(**{"bad.example": {"TXT": "v=spf1 ip4:not-an-ip -all"}}),
              mail_from="x@bad.example")
    assert res.spf == "permerror"


def test_spf_checks_helo_too_and_null_sender_uses_postmaster_at_helo():
    res = run(message(), table(), peer_ip="203.0.113.25", mail_from="jane@acme.example")
    assert [(c.identity, c.result) for c in res.spf_checks] == [("mailfrom", "pass"),
                                                                ("helo", "pass")]
    res = run(message(), table(), peer_ip="203.0.113.25", mail_from="<>")
    assert [(c.identity, c.sender) for c in res.spf_checks] == [("helo",
                                                                 "postmaster@mx.acme.example")]
    assert res.spf == "pass"
    res = run(message(), table(), peer_ip=BAD_IP, mail_from="", helo="[192.0.2.1]")
    assert res.spf == "none" and res.spf_checks == []


def test_spf_without_a_connecting_address_is_none():
    res = run(message(), table(), peer_ip=None)
    assert res.spf == "none"
    assert "no connecting address" in res.spf_checks[0].reason


def test_spf_lookups_go_through_the_given_resolver_concurrently():
    """Two threads, two tables giving opposite answers: each check sees only its own."""
    allow = TableResolver({"acme.example": {"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}})
    deny = TableResolver({"acme.example": {"TXT": "v=spf1 -all"}})
    results: dict[str, list[str]] = {"allow": [], "deny": []}
    start = threading.Barrier(2)

    def work(name, resolver):
        start.wait()
        for _ in range(40):
            results[name].append(auth_spf.check(resolver, GOOD_IP, "j@acme.example", None,
                                                "mailfrom", 2.0).result)

    threads = [threading.Thread(target=work, args=a) for a in (("allow", allow), ("deny", deny))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results["allow"]) == {"pass"} and set(results["deny"]) == {"fail"}
    assert spf.DNSLookup is auth_spf._lookup


# --- DKIM ----------------------------------------------------------------------------------

def test_dkim_valid_signature_passes(rsa_key):
    key, pub = rsa_key
    res = run(sign(message(), key), table(pub), peer_ip=BAD_IP)
    assert res.dkim == "pass"
    (sig,) = res.signatures
    assert (sig.domain, sig.selector, sig.algorithm) == ("acme.example", "s1", "rsa-sha256")


def test_dkim_tampered_body_fails(rsa_key):
    key, pub = rsa_key
    raw = sign(message(), key).replace(b"Hello, help me.", b"Hello, pay me.")
    res = run(raw, table(pub), peer_ip=BAD_IP)
    assert res.dkim == "fail"
    assert "body hash" in res.signatures[0].reason


def test_dkim_tampered_header_fails(rsa_key):
    key, pub = rsa_key
    raw = sign(message(), key).replace(b"Subject: Printer broken", b"Subject: Invoice")
    assert run(raw, table(pub)).dkim == "fail"


def test_dkim_key_problems(rsa_key):
    key, pub = rsa_key
    raw = sign(message(), key)
    missing = run(raw, table())
    assert missing.dkim == "permerror" and "no key" in missing.signatures[0].reason
    slow = run(raw, table(**{"s1._domainkey.acme.example": {"TXT": DNSTimeout}}))
    assert slow.dkim == "temperror"
    garbage = run(raw, table(**{"s1._domainkey.acme.example": {"TXT": "v=DKIM1; p=!!!"}}))
    assert garbage.dkim == "permerror"


def test_dkim_every_signature_is_checked(rsa_key):
    key, pub = rsa_key
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    raw = sign(sign(message(), key, domain="evil.example"), other)   # wrong key for acme
    res = run(raw, table(pub))
    assert [(s.domain, s.result) for s in res.signatures] == [("acme.example", "fail"),
                                                              ("evil.example", "pass")]
    assert res.dkim == "pass"


def test_dkim_malformed_signature_is_permerror():
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=acme.example\r\n" + message()
    res = run(raw, table())
    assert res.dkim == "permerror"


def test_dkim_ed25519_signature():
    nacl_signing = pytest.importorskip("nacl.signing")
    key = nacl_signing.SigningKey.generate()
    priv = base64.b64encode(bytes(key))
    pub = base64.b64encode(bytes(key.verify_key)).decode()
    raw = sign(message(), priv, selector="ed", algorithm=b"ed25519-sha256")
    records = table(**{"ed._domainkey.acme.example": {"TXT": f"v=DKIM1; k=ed25519; p={pub}"}})
    res = run(raw, records, peer_ip=BAD_IP)
    assert res.dkim == "pass" and res.signatures[0].algorithm == "ed25519-sha256"
    assert res.dmarc == "pass"
    assert run(raw.replace(b"help", b"kelp"), records).dkim == "fail"


def test_no_signature_is_none():
    res = run(message(), table())
    assert res.dkim == "none" and res.signatures == []


# --- DMARC ---------------------------------------------------------------------------------

def test_dmarc_pass_by_aligned_dkim(rsa_key):
    key, pub = rsa_key
    res = run(sign(message(), key), table(pub), peer_ip=BAD_IP)   # SPF fails
    assert (res.spf, res.dmarc, res.dmarc_check.aligned_by) == ("fail", "pass", "dkim")
    assert not res.dmarc_failed


def test_dmarc_pass_by_relaxed_subdomain_dkim(rsa_key):
    key, pub = rsa_key
    res = run(sign(message(), key, domain="mail.acme.example"), table(pub), peer_ip=BAD_IP)
    assert res.dkim == "pass" and res.dmarc == "pass"


def test_dmarc_pass_by_aligned_spf():
    res = run(message(), table(), mail_from="bounce@mail.acme.example")
    assert (res.spf, res.dkim, res.dmarc) == ("pass", "none", "pass")
    assert res.dmarc_check.aligned_by == "spf"


def test_dmarc_fail_when_nothing_aligns(rsa_key):
    """A forger signs with their own domain and sends from their own IP: both pass, but
    neither is the From domain's, so p=reject fails."""
    key, pub = rsa_key
    raw = sign(message("Bank <alerts@bank.example>"), key, domain="evil.example")
    res = run(raw, table(pub), peer_ip="198.51.100.7", mail_from="x@evil.example")
    assert (res.spf, res.dkim, res.dmarc) == ("pass", "pass", "fail")
    assert res.dmarc_failed
    assert res.dmarc_check.policy == "reject" and res.dmarc_check.domain == "bank.example"


def test_dmarc_strict_alignment(rsa_key):
    key, pub = rsa_key
    records = table(pub, **{"_dmarc.acme.example": {"TXT": "v=DMARC1; p=quarantine; adkim=s; "
                                                           "aspf=s"}})
    raw = sign(message(), key, domain="mail.acme.example")
    res = run(raw, records, peer_ip=GOOD_IP, mail_from="b@mail.acme.example")
    assert (res.spf, res.dkim, res.dmarc) == ("pass", "pass", "fail")
    assert res.dmarc_check.policy == "quarantine"


def test_dmarc_subdomain_uses_org_record_and_sp():
    records = table(**{"_dmarc.acme.example": {"TXT": "v=DMARC1; p=none; sp=reject"}})
    res = run(message("x@support.acme.example"), records, peer_ip=BAD_IP)
    assert res.dmarc == "fail"
    assert (res.dmarc_check.policy, res.dmarc_check.record_domain) == ("reject", "acme.example")


def test_dmarc_none_without_record_and_for_bad_records():
    assert run(message("x@nospf.example"), table(), peer_ip=BAD_IP).dmarc == "none"
    records = table(**{"_dmarc.acme.example": {"TXT": ["v=DMARC1; p=reject",
                                                       "v=DMARC1; p=none"]}})
    assert run(message(), records, peer_ip=BAD_IP).dmarc == "none"   # two records: none
    records = table(**{"_dmarc.acme.example": {"TXT": "v=DMARC1; p=bogus"}})
    assert run(message(), records, peer_ip=BAD_IP).dmarc == "none"
    records = table(**{"_dmarc.acme.example": {"TXT": "v=DMARC1; p=bogus; rua=mailto:a@b"}})
    res = run(message(), records, peer_ip=BAD_IP)
    assert res.dmarc == "fail" and res.dmarc_check.policy == "none"


def test_dmarc_temperror_is_not_a_failure():
    records = table(**{"_dmarc.acme.example": {"TXT": DNSTimeout}})
    res = run(message(), records, peer_ip=BAD_IP)
    assert res.dmarc == "temperror" and not res.dmarc_failed
    res = run(message(), table(**{"acme.example": {"TXT": DNSTimeout}}))
    assert (res.spf, res.dmarc) == ("temperror", "temperror")


def test_dmarc_a_second_from_cannot_hide_a_failing_one():
    raw = message("alerts@bank.example, jane@acme.example")
    res = run(raw, table(), peer_ip=GOOD_IP, mail_from="jane@acme.example")
    assert res.dmarc == "fail" and res.dmarc_check.domain == "bank.example"


def test_dmarc_without_from():
    raw = b"To: tickets@box.example\r\nSubject: x\r\n\r\nbody\r\n"
    res = run(raw, table())
    assert res.dmarc == "none" and not res.dmarc_failed


def test_org_domain():
    assert org_domain("mail.acme.example") == "acme.example"
    assert org_domain("acme.example") == "acme.example"
    assert org_domain("a.b.example.co.uk") == "example.co.uk"
    assert org_domain("Deep.Sub.Example.COM.") == "example.com"
    assert org_domain("co.uk") == "co.uk"


# --- ARC -----------------------------------------------------------------------------------

def test_arc_chain(rsa_key):
    key, pub = rsa_key
    records = table(pub)
    raw = (b"Authentication-Results: fwd.acme.example; spf=pass smtp.mailfrom=acme.example\r\n"
           + sign(message(), key))
    arc_set = dkim.arc_sign(raw, b"s1", b"acme.example", key, b"fwd.acme.example")
    sealed = b"".join(arc_set) + raw
    res = run(sealed, records)
    assert res.arc == "pass"
    assert "arc=pass smtp.remote-ip=192.0.2.10" in res.header()
    assert run(sealed.replace(b"help", b"yelp"), records).arc == "fail"
    assert run(raw, records).arc == "none"
    slow = table(pub, **{"s1._domainkey.acme.example": {"TXT": DNSTimeout}})
    assert run(sealed, slow).arc == "temperror"


# --- time bound ----------------------------------------------------------------------------

class Down:
    """A resolver whose every query times out at once."""

    def __init__(self) -> None:
        self.calls = 0

    def _fail(self, name):
        self.calls += 1
        raise DNSTimeout(f"{name}: timed out", name, "")

    txt = mx = a = aaaa = ptr = _fail


class Slow(TableResolver):
    """Answers from a table after sleeping: a DNS that is up but slow."""

    def __init__(self, records: dict, delay: float) -> None:
        super().__init__(records)
        self.delay = delay

    def _lookup(self, name, rdtype, depth=0):
        time.sleep(self.delay)
        return super()._lookup(name, rdtype, depth)


def test_dns_down_gives_temperror_at_once(rsa_key):
    key, _pub = rsa_key
    down = Down()
    started = time.monotonic()
    res = run(sign(message(), key), down)
    assert time.monotonic() - started < 1.0
    assert (res.spf, res.dkim, res.dmarc) == ("temperror", "temperror", "temperror")
    assert not res.dmarc_failed
    assert down.calls >= 3


def test_slow_dns_is_bounded_by_the_budget(rsa_key):
    key, pub = rsa_key
    raw = sign(sign(message(), key), key, domain="mail.acme.example")
    started = time.monotonic()
    res = run(raw, Slow(table(pub), delay=0.3), budget=1.0)
    assert time.monotonic() - started < 2.0
    assert "temperror" in {res.dkim, res.dmarc, res.spf_checks[-1].result}


def test_real_resolver_against_a_silent_server_stays_within_the_budget(rsa_key):
    """The dnspython-backed resolver, its server a loopback socket that never answers."""
    key, _pub = rsa_key
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        resolver = DNSResolver(["127.0.0.1"], port=silent.getsockname()[1])
        started = time.monotonic()
        res = run(sign(message(), key), resolver, budget=1.5)
        assert time.monotonic() - started < 3.0
    finally:
        silent.close()
    assert (res.spf, res.dkim, res.dmarc) == ("temperror", "temperror", "temperror")


def test_odd_input_never_raises():
    for raw in (b"", b"\x00\xff garbage", b"DKIM-Signature: v=1\r\n", b"From: <>\r\n\r\n",
                b"From: =?utf-8?q?=E2=82=AC?= <a@\xc3\xa9.example>\r\n\r\nx"):
        res = run(raw, table(), mail_from="odd\x00@@", helo="\xff", peer_ip="not-an-ip")
        assert res.spf in ("none", "permerror")
        authres.AuthenticationResultsHeader.parse("Authentication-Results: " + res.header())
        assert res.header_line().isascii()


# --- the header ----------------------------------------------------------------------------

def test_header_format(rsa_key):
    key, pub = rsa_key
    res = run(sign(message(), key), table(pub), peer_ip=GOOD_IP)
    value = res.header()
    assert value.startswith("box.example; spf=pass ")
    assert "smtp.mailfrom=jane@acme.example" in value
    assert "spf=fail (SPF fail - not authorized) smtp.helo=mx.acme.example" in value
    assert "dkim=pass header.d=acme.example header.s=s1 header.a=rsa-sha256 header.b=" in value
    assert "dmarc=pass (p=reject) header.from=acme.example" in value
    parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    assert parsed.authserv_id == BOX
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"), ("spf", "fail"), ("dkim", "pass"), ("dmarc", "pass")]
    line = res.header_line()
    assert line.startswith(b"Authentication-Results: box.example;\r\n\t") and line.endswith(
        b"\r\n")
    assert all(len(x) < 200 for x in line.split(b"\r\n"))


def test_header_of_failures_and_json(rsa_key):
    key, pub = rsa_key
    raw = sign(message("Bank <alerts@bank.example>"), key, domain="evil.example")
    res = run(raw.replace(b"help", b"kelp"), table(pub), peer_ip=BAD_IP,
              mail_from="x@bank.example")
    value = res.header()
    assert "spf=fail (" in value and "dkim=fail (body hash mismatch)" in value
    assert "dmarc=fail (p=reject) header.from=bank.example" in value
    assert res.to_json() == {"spf": "fail", "dkim": "fail", "dmarc": "fail", "arc": "none"}
    details = res.to_json(details=True)["details"]
    assert details["dmarc"]["policy"] == "reject"
    assert details["dkim"][0]["domain"] == "evil.example"
    parsed = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    assert [r.result for r in parsed.results][:3] == ["fail", "fail", "fail"]


def test_header_quotes_values_that_are_not_tokens():
    res = run(message(), table(), mail_from='"odd local"@acme.example')
    assert 'smtp.mailfrom=acme.example' in res.header()
    authres.AuthenticationResultsHeader.parse("Authentication-Results: " + res.header())


def _read_back(line: bytes):
    """The header field as a receiver reads it: unfolded (RFC 5322 2.2.3), then parsed by
    authres with every method it knows (dmarc, arc, header.b)."""
    text = line.decode("ascii").replace("\r\n", "").rstrip()
    return authres.all_features().parse(text)


def test_header_we_write_reads_back_with_authres(rsa_key):
    key, pub = rsa_key
    raw = (b"Authentication-Results: fwd.acme.example; spf=pass smtp.mailfrom=acme.example\r\n"
           + sign(message(), key))
    sealed = b"".join(dkim.arc_sign(raw, b"s1", b"acme.example", key,
                                    b"fwd.acme.example")) + raw
    res = run(sealed, table(pub), peer_ip=GOOD_IP)
    parsed = _read_back(res.header_line())
    assert parsed.authserv_id == BOX
    found = {r.method: r for r in reversed(parsed.results)}   # the first of each method
    assert [r.method for r in parsed.results] == ["spf", "spf", "dkim", "dmarc", "arc"]
    assert (found["spf"].result, found["spf"].smtp_mailfrom) == ("pass", "jane@acme.example")
    assert parsed.results[1].smtp_helo == "mx.acme.example"
    assert (found["dkim"].result, found["dkim"].header_d) == ("pass", "acme.example")
    assert found["dkim"].header_b == res.signatures[0].b
    assert (found["dmarc"].result, found["dmarc"].header_from) == ("pass", "acme.example")
    assert (found["arc"].result, found["arc"].smtp_remote_ip) == ("pass", GOOD_IP)
    assert _read_back(res.header_line(b"\n")).results[0].result == "pass"


def test_hostile_values_read_back_with_authres():
    """Tag values and comments out of a forged signature stay inside their quotes."""
    for odd in ('ev@il', 'a b@c.example', 'q"uo\\te', 'semi; colon', 'caf\u00e9', 'x\x00y',
                '(paren)', 'a/b=c'):
        raw = (f"DKIM-Signature: v=1; a=rsa-sha256; d={odd}; s={odd}; h=from; bh=x; b=y\r\n"
               ).encode("utf-8") + message()
        res = run(raw, table(), mail_from=f"{odd}@{odd}", peer_ip=odd)
        res.arc, res.arc_reason = "fail", odd
        parsed = _read_back(res.header_line())
        assert [r.method for r in parsed.results][:1] == ["spf"], odd
        assert {"spf", "dkim", "dmarc", "arc"} <= {r.method for r in parsed.results}, odd
        assert res.header_line().isascii()


def test_the_public_suffix_list_is_read_once_however_many_threads_ask(monkeypatch):
    """The first organizational-domain questions of many authentication threads at once
    read the list once: each thread read it again for itself, seconds of a worker's
    start in a burst."""
    from appliance.mta import auth_dmarc
    made = []

    class Counted(auth_dmarc.PublicSuffixList):
        def __init__(self, *args, **kwargs):
            made.append(1)
            time.sleep(0.2)   # the window in which the other threads arrive
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(auth_dmarc, "PublicSuffixList", Counted)
    monkeypatch.setattr(auth_dmarc, "_PSL", [])
    auth_dmarc.org_domain.cache_clear()
    found = []
    threads = [threading.Thread(target=lambda n=n: found.append(
        auth_dmarc.org_domain(f"mail.shop{n}.co.uk"))) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    auth_dmarc.org_domain.cache_clear()
    assert len(made) == 1
    assert sorted(found) == sorted(f"shop{n}.co.uk" for n in range(16))
