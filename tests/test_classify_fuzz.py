"""Property tests: whatever bytes arrive, classification answers with a valid decision.

The last-resort guard in ``classify`` would hide a crash, so these tests also insist that the
guard and the per-rule skip were not needed: a crash anywhere is a bug to fix, not to hide.
"""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.helpdesk.classify import Context, Envelope, classify, context_from_args

DATA = Path(__file__).parent / "data"
SAMPLES = sorted((DATA / "corpus").glob("*.eml")) + sorted((DATA / "classify").glob("*.eml"))
RAWS = [p.read_bytes() for p in SAMPLES]
CTX = context_from_args(["tickets@help.example.com"], ["olga.ivanova@widgets.example"], True)
ENV = Envelope("someone@client.example", ("tickets@help.example.com",))
FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEADERS = ["From", "To", "Cc", "Subject", "Reply-To", "Sender", "Content-Type",
           "Content-Transfer-Encoding", "Auto-Submitted", "Precedence", "List-Id",
           "X-Forwarded-For", "Resent-From", "Received", "Delivered-To", "X-Original-To",
           "Message-ID", "X-Appliance-Loop", "X-MS-Exchange-Inbox-Rules-Loop", "Return-Path"]


def check_shape(decision) -> None:
    doc = decision.to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["kind"] in ("direct", "auto_forward", "manual_forward")
    assert doc["automated"] in (None, "auto_reply", "bounce", "bulk", "loop")
    for key in ("requester", "forwarder", "original_sender"):
        assert doc[key] is None or _person(doc[key])
    assert all(_person(p) for p in doc["followers"])
    assert doc["reasons"] and all(isinstance(r, str) and r for r in doc["reasons"])
    assert not any("could not be classified" in r or "was skipped" in r for r in doc["reasons"])
    assert all(isinstance(i, str) for i in doc["bounced_message_ids"])


def _person(p: dict) -> bool:
    return (set(p) >= {"email", "name"} and isinstance(p["email"], str) and "@" in p["email"]
            and (p["name"] is None or isinstance(p["name"], str)))


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw: bytes) -> None:
    check_shape(classify(raw, ENV, CTX))


@FAST
@given(st.sampled_from(RAWS), st.integers(0, 10_000), st.integers(0, 400), st.binary(max_size=60))
def test_mutated_corpus(raw: bytes, at: int, cut: int, insert: bytes) -> None:
    at %= len(raw) + 1
    check_shape(classify(raw[:at] + insert + raw[at + cut:], ENV, CTX))


@FAST
@given(st.sampled_from(RAWS), st.integers(1, 6000))
def test_truncated_corpus(raw: bytes, keep: int) -> None:
    check_shape(classify(raw[:keep], ENV, CTX))


header = st.tuples(st.sampled_from(HEADERS), st.text(max_size=80))


@FAST
@given(st.lists(header, max_size=12), st.text(max_size=400),
       st.sampled_from(["", "<>", "SRS0=a=b=c.example=d@e.example", "x+caf_=y=z@w.example",
                        "not an address", "a@b.example"]),
       st.booleans(), st.lists(st.text(max_size=20), max_size=3))
def test_header_soup(headers, body, mail_from, agent_forwarding, blocklist) -> None:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    raw = (lines + "\r\n" + body).encode("utf-8", "surrogatepass")
    ctx = Context(domain="help.example.com",
                  capture_addresses=frozenset({"tickets@help.example.com"}),
                  agents=frozenset({"a@b.example"}), blocklist=tuple(blocklist),
                  agent_forwarding=agent_forwarding)
    check_shape(classify(raw, Envelope(mail_from, ("tickets@help.example.com",)), ctx))


@FAST
@given(st.text(max_size=600))
def test_body_text_is_never_a_problem(body: str) -> None:
    raw = ("From: a@b.example\r\nTo: tickets@help.example.com\r\nSubject: Fwd: x\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n" + body).encode("utf-8", "surrogatepass")
    check_shape(classify(raw, ENV, CTX))


PATHOLOGICAL = [
    b"From: a@b.example\r\nSubject: Fwd: x\r\n\r\n---------- Forwarded message ---------\r\n"
    b"From: " + b"x" * 500_000 + b"\r\n",
    b"".join(b"Content-Type: message/rfc822\r\n\r\n" for _ in range(3000))
    + b"From: a@b.example\r\n\r\nx",
    b"From: a@b.example\r\nSubject: Fwd: x\r\n\r\n" + b"From: a\r\nTo: b\r\n" * 100_000,
    b"From: a@b.example\r\nContent-Type: text/html\r\n\r\n" + b"<div>" * 100_000,
    b"Received: " + b"for a" * 100_000 + b"\r\nFrom: a@b.example\r\n\r\nx",
    b"From: a@b.example\r\n\r\n" + (b"On 1 " + b"x " * 140 + b"\r\n") * 10_000,
]


def test_pathological_mail_is_quick() -> None:
    """Deep nesting, endless lines and huge headers: decided, and in well under a second."""
    import time
    for raw in PATHOLOGICAL:
        start = time.monotonic()
        check_shape(classify(raw, ENV, CTX))
        assert time.monotonic() - start < 3, raw[:60]
