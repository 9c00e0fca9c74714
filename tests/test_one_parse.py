"""Intake parses each message once (issue 14, point 3): the message that intake reads is
the one classification judges, so no rule pays for a second parse of the same bytes.
Counted on the corpus and the own bounce, auto-reply and forward samples, in-process, by
the email package's one entry point for a full parse (``Parser.parsestr``; the DMARC check's
header-only read does not count)."""
from __future__ import annotations

import email.parser
from pathlib import Path

import pytest

from appliance.helpdesk import classify, intake
from appliance.mta.spool import Entry, Envelope

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(DATA.glob("corpus/*.eml")) + sorted(DATA.glob("classify_bounces/*.eml"))[:40] \
    + sorted(DATA.glob("classify_autoreplies/*.eml"))[:40] \
    + sorted(DATA.glob("classify_forwards/*.eml"))[:40]


@pytest.fixture
def full_parses(monkeypatch):
    counted = []
    real = email.parser.Parser.parsestr

    def parsestr(self, text, headersonly=False):
        if not headersonly:
            counted.append(len(text))
        return real(self, text, headersonly)
    monkeypatch.setattr(email.parser.Parser, "parsestr", parsestr)
    return counted


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_intake_parses_a_message_once(path, tmp_path, full_parses):
    rcpt = ["tickets@box.example"]
    ctx = intake.IntakeContext("box.example", tmp_path, {},
                               classify.context_from_args(rcpt, [], False))
    entry = Entry("one-parse", Envelope(mail_from="sender@client.example", rcpt_tos=rcpt,
                                        peer="192.0.2.7", helo="mx.client.example"),
                  path.read_bytes())
    prepared = intake.prepare(entry, ctx)
    assert prepared.decision is not None
    assert len(full_parses) == 1, f"{len(full_parses)} full parses of {path.name}"
