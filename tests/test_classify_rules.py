"""The pieces of classification one by one: subject prefixes, From lines, block finding,
HTML to lines, SRS decoding, the no-config context, and the decision's JSON shape."""
from __future__ import annotations

import pytest

from appliance.helpdesk.autoforward import srs_original
from appliance.helpdesk.bodytext import html_to_lines
from appliance.helpdesk.classify import Context, Decision, Envelope, classify, context_from_args
from appliance.helpdesk.forwards import find_block, sender_of, subject_prefixes

FORWARD = ["Fwd", "FW", "Fw", "TR", "WG", "RV", "I", "VS", "Vs", "VB", "VL", "PD", "ENC",
           "Doorst", "Videresend", "İLT", "転送", "Fwd[2]"]
REPLY = ["Re", "RE", "AW", "Aw", "SV", "Antw", "R", "RIF", "Odp", "YNT", "Отв", "RES"]


@pytest.mark.parametrize("prefix", FORWARD)
def test_forward_prefixes(prefix: str) -> None:
    assert subject_prefixes(f"{prefix}: Printer offline")[0][0] == "forward"


@pytest.mark.parametrize("prefix", REPLY)
def test_reply_prefixes(prefix: str) -> None:
    assert subject_prefixes(f"{prefix}: Printer offline")[0][0] == "reply"


@pytest.mark.parametrize("subject", ["Forward planning", "How to forward mail: a guide",
                                     "Info: new prices", "FWD", "Re Fwd", ""])
def test_not_prefixes(subject: str) -> None:
    assert all(kind != "forward" for kind, _ in subject_prefixes(subject))


def test_reply_to_a_forward_starts_with_reply() -> None:
    assert [k for k, _ in subject_prefixes("AW: WG: Drucker")] == ["reply", "forward"]
    assert subject_prefixes("[support] Fwd: x")[0][0] == "forward"


@pytest.mark.parametrize("value,email,name", [
    ("Eva Novak <eva@client.example>", "eva@client.example", "Eva Novak"),
    ('"Novak, Eva" <eva@client.example>', "eva@client.example", "Novak, Eva"),
    ("eva@client.example", "eva@client.example", None),
    ("Eva Novak [mailto:eva@client.example]", "eva@client.example", "Eva Novak"),
    ("Eva Novak <eva@client.example<mailto:eva@client.example>>", "eva@client.example",
     "Eva Novak"),
    ("=?utf-8?q?J=C3=BCrgen?= <j@client.example>", "j@client.example", "Jürgen"),
    ("Eva@Client.EXAMPLE", "Eva@client.example", None),
])
def test_sender_of(value: str, email: str, name: str | None) -> None:
    person = sender_of(value)
    assert person and (person.email, person.name) == (email, name)


def test_sender_of_name_only() -> None:
    assert sender_of("Eva Novak") is None


def test_first_block_not_first_address() -> None:
    text = ("Ask carol@other.example if unsure.\n\n---------- Forwarded message ---------\n"
            "From: Tom <tom@client.example>\nSubject: x\n\nwrite to dave@x.example\n")
    block = find_block(text)
    assert block and block.kind == "forward" and block.sender.email == "tom@client.example"


@pytest.mark.parametrize("text", [
    "I got a Forwarded message from the bank.\nFrom: my bank, apparently.\n",
    "See what the customer wrote:\nnothing useful\n",
    "Weitergeleitete Nachricht habe ich nicht bekommen.\n",
])
def test_sentences_are_not_blocks(text: str) -> None:
    block = find_block(text)
    assert block is None or block.kind != "forward"


def test_reply_attribution_before_forward_is_a_reply() -> None:
    text = ("ok\n\nOn Wed, 18 Nov 2026 at 08:30, Olga <o@w.example> wrote:\n"
            "> ---------- Forwarded message ---------\n> From: Eve <eve@x.example>\n")
    assert find_block(text).kind == "reply"


def test_html_to_lines_keeps_header_block_together() -> None:
    html = ("<div>Begin forwarded message:</div><br><div><b>From: </b><span>Sven &lt;<a href="
            "\"mailto:s@x.example\">s@x.example</a>&gt;</span></div><div><b>Subject: </b>Hi"
            "</div><style>p{}</style><hr><p>Body&nbsp;text</p>")
    assert html_to_lines(html).splitlines()[:4] == [
        "Begin forwarded message:", "", "From: Sven <s@x.example>", "Subject: Hi"]
    assert "________________________________" in html_to_lines(html)
    assert html_to_lines("<p unclosed <b>x") is not None


def test_srs_original() -> None:
    assert srs_original("SRS0=HhJ3=2A=client.example=ravi@fwd.example") == "ravi@client.example"
    assert srs_original("SRS1=x=a.example==HhJ3=2A=client.example=ravi@b.example") == \
        "ravi@client.example"
    assert srs_original("ravi@client.example") == ""


def test_context_from_args() -> None:
    ctx = context_from_args(["Tickets@Help.Example.com"], ["Olga@Widgets.Example"], True)
    assert ctx.capture_addresses == {"tickets@help.example.com"}
    assert ctx.domain == "help.example.com"
    assert ctx.agents == {"olga@widgets.example"} and ctx.agent_forwarding
    assert "support@help.example.com" in ctx.own_addresses
    assert context_from_args([], [], False, domain="box.example").domain == "box.example"
    assert context_from_args([], [], False).domain == ""


def test_decision_json_has_the_interface_keys() -> None:
    doc = Decision().to_json()
    assert set(doc) >= {"kind", "requester", "forwarder", "original_sender", "automated",
                        "followers", "reasons", "bounced_message_ids"}


def _mail(headers: str, body: str = "Hello\r\n") -> bytes:
    return (headers.replace("\n", "\r\n") + "\r\n" + body).encode()


CTX = context_from_args(["tickets@help.example.com"], ["olga@widgets.example"], False)
ENV = Envelope("olga@widgets.example", ("tickets@help.example.com",))


def test_agent_forwarding_off_explains_itself() -> None:
    raw = _mail("From: Olga <olga@widgets.example>\nTo: tickets@help.example.com\n"
                "Subject: Fwd: x\n", "---------- Forwarded message ---------\r\n"
                "From: Tom <tom@client.example>\r\n\r\nHi\r\n")
    d = classify(raw, ENV, CTX)
    assert d.requester.email == "olga@widgets.example"
    assert d.original_sender.email == "tom@client.example"
    assert any("Agent forwarding is off" in r for r in d.reasons)


def test_loop_header_of_another_appliance_is_an_auto_reply() -> None:
    ctx = Context(domain="help.example.com",
                  capture_addresses=frozenset({"tickets@help.example.com"}))
    d = classify(_mail("From: a@other.example\nX-Appliance-Loop: other.example\n"), ENV, ctx)
    assert d.automated == "auto_reply"
    d = classify(_mail("From: a@other.example\nX-Appliance-Loop: help.example.com\n"), ENV, ctx)
    assert d.automated == "loop"


def test_every_rule_hit_is_named() -> None:
    raw = _mail("From: a@b.example\nTo: tickets@help.example.com\nPrecedence: bulk\n"
                "List-Id: <l.b.example>\nAuto-Submitted: auto-generated\n")
    d = classify(raw, ENV, CTX)
    assert d.automated == "auto_reply"
    assert {"precedence-bulk", "list-headers", "auto-submitted"} <= set(d.rules)


def test_unusable_input_still_decides() -> None:
    for raw in (b"", b"\x00\xff" * 10, bytearray(b"From: x\r\n\r\n")):
        d = classify(raw, Envelope(), Context())
        assert d.kind == "direct" and d.requester is None and d.reasons
