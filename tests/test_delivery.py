"""Delivery through a smarthost: real SMTP servers on loopback, the box's real SQLite file,
a frozen clock (retries are checked to the second, nothing sleeps)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from appliance import clock, config
from appliance.helpdesk.database import close_database
from appliance.outbound import runner
from appliance.outbound.bounces import mark_bounced
from appliance.outbound.queue import purge_finished
from smtpsinks import Sink, events, queue, recipients, reload, set_settings, tls_material

START = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(box, frozen):
    database = box.db()
    yield database
    close_database()


def smarthost(box, sink, security="none", **more) -> config.Config:
    set_settings(outbound_mode="smarthost", outbound_smarthost=f"127.0.0.1:{sink.port}",
                 outbound_security=security, outbound_retry_intervals="60,120", **more)
    return config.load(box.ini)


def test_smarthost_delivers_and_logs_each_step(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        mail = queue(["ann@client.example", "bob@client.example"])
        counts = runner.deliver_due(cfg)
    assert counts["delivered"] == 2 and counts["connections"] == 1
    mail = reload(mail)
    assert (mail.status, mail.attempts, mail.finished_at, mail.next_attempt_at) == (
        "delivered", 1, START, None)
    remote = f"127.0.0.1:{sink.port}"
    assert recipients(mail) == {
        "ann@client.example": ("delivered", remote, "250 2.0.0 Ok: queued as SINK1"),
        "bob@client.example": ("delivered", remote, "250 2.0.0 Ok: queued as SINK1")}
    log = events(mail)
    assert [e for e, _ in log] == ["delivered", "delivered", "attempt", "queued"]
    assert log[2][1] == f"{remote}: 250 2.0.0 Ok: queued as SINK1"
    assert "ann@client.example: 250 2.0.0" in log[1][1] + log[0][1]
    [got] = sink.received
    assert got.mail_from == "support@box.example"
    assert got.rcpt_tos == ["ann@client.example", "bob@client.example"]
    assert got.data == bytes(mail.raw)
    assert runner.deliver_due(cfg)["messages"] == 0     # nothing left to do


def test_starttls_and_auth_required_by_the_server(box, db, tmp_path):
    ctx, ca_file = tls_material(tmp_path)
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(tls_context=ctx, require_starttls=True, users={"agent": "s3cret"}) as sink:
        cfg = smarthost(box, sink, "starttls", outbound_username="agent",
                        outbound_password="s3cret")
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    assert reload(mail).status == "delivered"
    [got] = sink.received
    assert got.tls and got.login == "agent"
    attempt = dict(events(mail))["attempt"]
    assert "certificate verified" in attempt and "250 2.0.0" in attempt


def test_wrong_password_defers_with_the_servers_reply(box, db, tmp_path, frozen):
    ctx, ca_file = tls_material(tmp_path)
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(tls_context=ctx, require_starttls=True, users={"agent": "s3cret"}) as sink:
        cfg = smarthost(box, sink, "starttls", outbound_username="agent",
                        outbound_password="wrong")
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    mail = reload(mail)
    assert mail.status == "deferred" and mail.next_attempt_at == START + timedelta(seconds=60)
    status, remote, reply = recipients(mail)["ann@client.example"]
    assert status == "deferred" and remote == f"127.0.0.1:{sink.port}"
    assert reply.startswith("authentication as agent rejected: 535")
    assert not sink.received


def test_tls_mode(box, db, tmp_path):
    ctx, ca_file = tls_material(tmp_path)
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(implicit_tls=ctx) as sink:
        cfg = smarthost(box, sink, "tls")
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    assert reload(mail).status == "delivered"
    assert sink.received[0].tls


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_untrusted_certificate_is_reported(box, db, tmp_path, mode):
    ctx, _ = tls_material(tmp_path)               # the server's CA ...
    _, other_ca = tls_material(tmp_path)          # ... is not the one the box trusts
    box.set_ini("delivery", "ca_file", str(other_ca))
    kwargs = {"tls_context": ctx} if mode == "starttls" else {"implicit_tls": ctx}
    with Sink(**kwargs) as sink:
        cfg = smarthost(box, sink, mode)
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    mail = reload(mail)
    assert mail.status == "deferred"
    reply = recipients(mail)["ann@client.example"][2]
    assert reply.startswith("TLS certificate not trusted: ")
    assert "unable to get local issuer certificate" in reply
    assert not sink.received


def test_certificate_for_another_name_is_reported(box, db, tmp_path):
    ctx, ca_file = tls_material(tmp_path, names=("smtp.elsewhere.example",))
    box.set_ini("delivery", "ca_file", str(ca_file))
    with Sink(tls_context=ctx) as sink:
        cfg = smarthost(box, sink, "starttls")
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
    reply = recipients(reload(mail))["ann@client.example"][2]
    assert "TLS certificate not trusted" in reply and "127.0.0.1" in reply


def test_4xx_is_deferred_and_retried_exactly_on_schedule(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.rcpt["ann@client.example"] = "451 4.3.0 Try again later"
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
        mail = reload(mail)
        assert (mail.status, mail.attempts) == ("deferred", 1)
        assert mail.next_attempt_at == START + timedelta(seconds=60)
        assert recipients(mail)["ann@client.example"][0::2] == (
            "deferred", "451 4.3.0 Try again later")
        frozen.advance(59)
        assert runner.deliver_due(cfg)["messages"] == 0          # not before its time
        frozen.advance(1)
        assert runner.deliver_due(cfg)["deferred"] == 1          # second attempt at +60
        assert reload(mail).next_attempt_at == START + timedelta(seconds=180)
        frozen.advance(119)
        assert runner.deliver_due(cfg)["messages"] == 0
        frozen.advance(1)
        runner.deliver_due(cfg)                                  # third at +180
        assert reload(mail).next_attempt_at == START + timedelta(seconds=300)  # last repeats
        sink.behaviour.rcpt.clear()
        frozen.advance(120)
        assert runner.deliver_due(cfg)["delivered"] == 1
    mail = reload(mail)
    assert (mail.status, mail.attempts, mail.finished_at) == (
        "delivered", 4, START + timedelta(seconds=300))
    kinds = [e for e, _ in events(mail)]
    assert kinds.count("attempt") == 4 and kinds.count("deferred") == 3
    assert kinds[:2] == ["delivered", "attempt"]
    assert len(sink.received) == 1


def test_5xx_is_bounced(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.rcpt["ann@client.example"] = "550 5.1.1 No such user"
        mail = queue(["ann@client.example"])
        assert runner.deliver_due(cfg)["bounced"] == 1
    mail = reload(mail)
    assert (mail.status, mail.finished_at, mail.next_attempt_at) == ("bounced", START, None)
    assert events(mail)[0] == ("bounced", "ann@client.example: 550 5.1.1 No such user")
    assert not sink.received


def test_5xx_to_data_and_mail_from(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.data = "554 5.7.1 Message rejected as spam"
        first = queue(["ann@client.example"])
        runner.deliver_due(cfg)
        sink.behaviour.data = None
        sink.behaviour.mail = "452 4.3.1 Insufficient system storage"
        second = queue(["bob@client.example"])
        runner.deliver_due(cfg)
    assert recipients(reload(first))["ann@client.example"][0::2] == (
        "bounced", "554 5.7.1 Message rejected as spam")
    assert recipients(reload(second))["bob@client.example"][0::2] == (
        "deferred", "MAIL FROM: 452 4.3.1 Insufficient system storage")


def test_connection_dropped_mid_data_is_deferred_then_delivered(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.drop_after_data = True
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
        mail = reload(mail)
        assert mail.status == "deferred"
        reply = recipients(mail)["ann@client.example"][2]
        assert reply.startswith("connection lost")
        sink.behaviour.drop_after_data = False
        frozen.advance(60)
        runner.deliver_due(cfg)
    assert reload(mail).status == "delivered"
    assert len(sink.received) == 1


def test_server_down_is_deferred(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
    mail = queue(["ann@client.example"])               # the server has stopped
    runner.deliver_due(cfg)
    mail = reload(mail)
    assert mail.status == "deferred"
    assert recipients(mail)["ann@client.example"][2] == "connection refused"
    assert dict(events(mail))["attempt"] == f"127.0.0.1:{sink.port}: connection refused"


def test_past_max_lifetime_is_failed(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink, outbound_max_lifetime_hours="2")
        sink.behaviour.rcpt["ann@client.example"] = "451 4.3.0 Try again later"
        mail = queue(["ann@client.example"])
        runner.deliver_due(cfg)
        frozen.advance(3600)
        runner.deliver_due(cfg)
        assert reload(mail).status == "deferred"
        frozen.advance(3600)
        assert runner.deliver_due(cfg)["failed"] == 1
    mail = reload(mail)
    assert (mail.status, mail.finished_at, mail.next_attempt_at) == (
        "failed", START + timedelta(hours=2), None)
    event, detail = events(mail)[0]
    assert event == "failed"
    assert detail == ("ann@client.example: gave up after 2 hours; last reply: "
                      "451 4.3.0 Try again later")
    assert recipients(mail)["ann@client.example"][0] == "failed"


def test_mixed_recipients_have_their_own_outcomes(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.rcpt["bad@client.example"] = "550 5.1.1 No such user"
        sink.behaviour.rcpt["busy@client.example"] = "452 4.2.2 Mailbox full"
        mail = queue(["ann@client.example", "bad@client.example", "busy@client.example"])
        runner.deliver_due(cfg)
        got = recipients(reload(mail))
        assert {k: v[0] for k, v in got.items()} == {
            "ann@client.example": "delivered", "bad@client.example": "bounced",
            "busy@client.example": "deferred"}
        assert got["bad@client.example"][2] == "550 5.1.1 No such user"
        assert reload(mail).status == "deferred"
        # the retry goes to the deferred recipient only
        sink.behaviour.rcpt.pop("busy@client.example")
        frozen.advance(60)
        runner.deliver_due(cfg)
    assert [r.rcpt_tos for r in sink.received] == [["ann@client.example"],
                                                   ["busy@client.example"]]
    mail = reload(mail)
    assert mail.status == "bounced" and mail.finished_at == START + timedelta(seconds=60)


def test_one_connection_carries_several_messages(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        mails = [queue([f"user{i}@client.example"], subject=f"n{i}") for i in range(5)]
        counts = runner.deliver_due(cfg)
    assert counts["connections"] == 1 and sink.connections == 1
    assert len(sink.received) == 5
    assert {reload(m).status for m in mails} == {"delivered"}


def test_a_run_killed_midway_is_retried_after_its_lease(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        mail = queue(["ann@client.example"])
        assert runner.claim(clock.now()) == [mail.id]   # ... and the run dies here
        assert runner.deliver_due(cfg)["messages"] == 0  # someone else's, for now
        frozen.advance(runner.LEASE.total_seconds())
        assert runner.deliver_due(cfg)["delivered"] == 1
    assert reload(mail).status == "delivered" and len(sink.received) == 1


def test_two_workers_never_take_the_same_message(box, db):
    with Sink() as sink:
        smarthost(box, sink)
        ids = [queue([f"u{i}@client.example"]).id for i in range(6)]
        first = runner.claim(clock.now(), limit=4)
        second = runner.claim(clock.now())
    assert len(first) == 4 and sorted(first + second) == sorted(ids)
    assert not set(first) & set(second)


def test_mark_bounced_from_a_later_report(box, db):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        one = queue(["ann@client.example"])
        two = queue(["bob@client.example", "cy@client.example"])
        runner.deliver_due(cfg)
    assert mark_bounced([one.message_id.strip("<>")], [], "550 5.1.1 gone") == 1
    one = reload(one)
    assert one.status == "bounced"
    assert events(one)[0] == ("bounced", "ann@client.example: bounce report received: "
                                         "550 5.1.1 gone")
    assert mark_bounced([two.message_id], ["CY@client.example"], "mailbox full") == 1
    assert {k: v[0] for k, v in recipients(two).items()} == {
        "bob@client.example": "delivered", "cy@client.example": "bounced"}
    assert reload(two).status == "bounced"
    assert mark_bounced(["<unknown@else.example>"], [], "x") == 0


def test_purge_finished_keeps_unfinished_and_recent(box, db, frozen):
    with Sink() as sink:
        cfg = smarthost(box, sink)
        sink.behaviour.rcpt["slow@client.example"] = "451 4.3.0 later"
        old_done = queue(["ann@client.example"])
        old_open = queue(["slow@client.example"])
        runner.deliver_due(cfg)
        frozen.advance(3600 * 10)
        new_done = queue(["bob@client.example"])
        runner.deliver_due(cfg)
    set_settings(retention_hours="5")
    assert purge_finished(clock.now()) == 1
    from appliance.outbound.models import OutgoingEvent, OutgoingMail
    left = {m.id for m in OutgoingMail.select()}
    assert left == {old_open.id, new_done.id}
    assert not OutgoingEvent.select().where(OutgoingEvent.mail == old_done.id).exists()


def test_address_needing_smtputf8_bounces_only_that_recipient(box, db):
    with Sink(smtputf8=False) as sink:
        cfg = smarthost(box, sink)
        mail = queue(["ann@client.example", "jürgen@client.example"])
        runner.deliver_due(cfg)
    got = recipients(reload(mail))
    assert got["ann@client.example"][0] == "delivered"
    assert got["jürgen@client.example"][0::2] == (
        "bounced", "the address needs SMTPUTF8, which the server does not offer")
    assert sink.received[0].rcpt_tos == ["ann@client.example"]


def test_address_with_smtputf8(box, db):
    with Sink(smtputf8=True) as sink:
        cfg = smarthost(box, sink)
        mail = queue(["jürgen@client.example"], mail_from="support@box.example")
        runner.deliver_due(cfg)
    assert reload(mail).status == "delivered"
    assert sink.received[0].rcpt_tos == ["jürgen@client.example"]
