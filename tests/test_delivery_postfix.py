"""Delivery against Postfix's ``smtp-sink`` with its fault injection: ``-f RCPT`` (5xx),
``-r RCPT`` (4xx), ``-Q DATA`` (421 and disconnect); success read back from its dumps."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from appliance import clock, config
from appliance.helpdesk.database import close_database
from appliance.outbound import runner
from smtpsinks import PostfixSink, events, queue, recipients, reload, set_settings

pytestmark = pytest.mark.skipif(not PostfixSink.available(),
                                reason="Postfix's smtp-sink is not installed")


@pytest.fixture
def db(box):
    c = clock.FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))
    clock.set_source(c)
    database = box.db()
    yield database
    close_database()
    clock.set_source(None)


def through(box, sink) -> config.Config:
    set_settings(outbound_mode="smarthost", outbound_smarthost=f"127.0.0.1:{sink.port}",
                 outbound_security="none")
    return config.load(box.ini)


def test_delivered_and_dumped(box, db, tmp_path):
    with PostfixSink(tmp_path) as sink:
        cfg = through(box, sink)
        mails = [queue(["ann@client.example", "bob@client.example"], subject=f"s{i}")
                 for i in range(3)]
        counts = runner.deliver_due(cfg)
        dumps = sink.read_dumps(expect=3)
    assert counts["delivered"] == 6 and counts["connections"] == 1
    assert {reload(m).status for m in mails} == {"delivered"}
    assert len(dumps) == 3
    assert all(d.mail_from == "support@box.example" for d in dumps)
    assert all(d.rcpt_tos == ["ann@client.example", "bob@client.example"] for d in dumps)
    assert sorted(d.body.split(b"Subject: ")[1][:2] for d in dumps) == [b"s0", b"s1", b"s2"]
    remote, reply = recipients(reload(mails[0]))["ann@client.example"][1:]
    assert remote == f"127.0.0.1:{sink.port}" and reply.startswith("250")


def test_rcpt_hard_error_bounces(box, db, tmp_path):
    with PostfixSink(tmp_path, ["-f", "RCPT"]) as sink:
        cfg = through(box, sink)
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
        # smtp-sink may leave an empty dump file for the transaction it refused; what
        # counts is that no message (recipients, content) reached it.
        assert not [d for d in sink.read_dumps(timeout=0.2) if d.rcpt_tos or d.body.strip()]
    mail = reload(mail)
    status, _, reply = recipients(mail)["ann@client.example"]
    assert mail.status == status == "bounced" and reply.startswith("5")
    assert events(mail)[0][0] == "bounced"


def test_rcpt_soft_error_defers(box, db, tmp_path):
    with PostfixSink(tmp_path, ["-r", "RCPT"]) as sink:
        cfg = through(box, sink)
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    mail = reload(mail)
    status, _, reply = recipients(mail)["ann@client.example"]
    assert mail.status == status == "deferred" and reply.startswith("4")
    assert mail.next_attempt_at > clock.now()


def test_421_and_disconnect_at_data_defers(box, db, tmp_path):
    with PostfixSink(tmp_path, ["-Q", "DATA"]) as sink:
        cfg = through(box, sink)
        mails = [queue(["ann@client.example"]), queue(["bob@client.example"])]
        runner.deliver_due(cfg)
    for mail in mails:
        assert reload(mail).status == "deferred"
    statuses = [recipients(reload(m)) for m in mails]
    assert statuses[0]["ann@client.example"][2].startswith("DATA: 421")
