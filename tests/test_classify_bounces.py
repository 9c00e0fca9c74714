"""Bounces, delay notices and complaint reports of many mail systems (tests/data/
classify_bounces, written by its generate.py) are automated "bounce" direct mail, whatever
they carry; DMARC aggregate reports are "bulk"; people writing about bounces are neither.
Every sample asserts kind, requester and automated, and its rule where it matters."""
from __future__ import annotations

import json
from email import message_from_bytes
from email.header import Header

import pytest
from test_classify_corpus import DATA, _email, judge

from appliance.helpdesk import automated, bounces
from appliance.helpdesk.classify import Envelope, classify, context_from_args

FOLDER = "classify_bounces"
LABELS = json.loads((DATA / FOLDER / "labels.json").read_text(encoding="utf-8"))
CTX = context_from_args(["tickets@help.example.com"], ["olga.ivanova@widgets.example"], False)


@pytest.mark.parametrize("label", LABELS, ids=[lab["file"] for lab in LABELS])
def test_sample(label: dict) -> None:
    decision = judge(FOLDER, label)
    expect = label["expect"]
    why = (label["file"], decision["rules"], decision["reasons"])
    assert {"kind", "requester", "automated"} <= set(expect), label["file"]
    assert decision["kind"] == expect["kind"], why
    assert _email(decision["requester"]) == (expect["requester"] or None), why
    assert decision["automated"] == expect["automated"], why
    for rule in expect.get("rules_include", []):
        assert rule in decision["rules"], why
    if "reason_contains" in expect:
        assert expect["reason_contains"] in " ".join(decision["reasons"]), why
    for key in ("bounced_recipients", "bounced_message_ids"):
        if key in expect:
            assert decision[key] == expect[key], (key, *why)
    if decision["automated"] == "bounce":
        assert decision["forwarder"] is None and decision["original_sender"] is None, why


def test_the_samples_are_many_and_varied() -> None:
    bounced = [lab for lab in LABELS if lab["expect"]["automated"] == "bounce"]
    people = [lab for lab in LABELS if lab["expect"]["automated"] is None]
    assert len(LABELS) >= 100 and len(bounced) >= 80 and len(people) >= 10
    raws = [(DATA / FOLDER / lab["file"]).read_bytes() for lab in LABELS]
    assert all(b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"") for raw in raws)
    senders = {str(message_from_bytes(raw).get("From", "")).split("@")[-1].lower()
               for raw in raws}
    assert len(senders) >= 60


def _mail(headers: str, body: str = "Hello\n") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()


def test_a_complaint_is_a_bounce_named_feedback_report() -> None:
    raw = _mail("From: fbl@isp.example\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/"
                "report; report-type=feedback-report; boundary=b",
                "--b\nContent-Type: text/plain\n\nspam\n--b\nContent-Type: message/feedback-"
                "report\n\nFeedback-Type: abuse\nVersion: 1\n\n--b--\n")
    d = classify(raw, Envelope(""), CTX)
    assert d.automated == "bounce" and "feedback-report" in d.rules
    assert any("complaint report" in r and "abuse" in r for r in d.reasons)


@pytest.mark.parametrize("value,family", [
    ("auto-generated (failure)", "bounce"), ("auto-replied (failure)", "bounce"),
    ("auto-generated (delayed)", "bounce"), ("auto-replied", "auto_reply")])
def test_auto_submitted_failure_comment(value: str, family: str) -> None:
    raw = _mail(f"From: gw@carrier.example\nSubject: Notice\nAuto-Submitted: {value}")
    assert classify(raw, Envelope("gw@carrier.example"), CTX).automated == family


@pytest.mark.parametrize("subject", [
    "Undeliverable: Re: order", "UNDELIVERABLE:  order", "Returned mail: see transcript",
    "[Support] Mail delivery failed : returning message to sender", "Non remis : commande",
    "Unzustellbar: Bestellung", "Nedoručitelné: objednávka", "配信不能: ご注文",
    "Delivery Status Notification (Delay)", "Warning: message 1abc delayed 24 hours",
    "Delivery delayed:order", "Недоставленное сообщение"])
def test_bounce_subjects_from_postmaster(subject: str) -> None:
    raw = _mail(f"From: postmaster@mx.client.example\nSubject: {Header(subject, 'utf-8').encode()}")
    d = classify(raw, Envelope(""), CTX)
    assert d.automated == "bounce" and "bounce-sender" in d.rules, (subject, d.reasons)


@pytest.mark.parametrize("subject", [
    "Re: Undeliverable: order", "Automatic reply: Undeliverable parcel", "Fwd: failure notice",
    "AW: Unzustellbar: Bestellung"])
def test_answers_from_postmaster_are_not_bounces(subject: str) -> None:
    raw = _mail(f"From: Postmaster <postmaster@client.example>\nSubject: {subject}")
    assert classify(raw, Envelope("postmaster@client.example"), CTX).automated != "bounce"


def test_body_folding_finds_the_boilerplate() -> None:
    """Case, wrapped lines, quoting, non-breaking spaces, byte-order marks, full-width colons."""
    body = ("\ufeffTHIS IS THE MAIL SYSTEM\xa0AT HOST mx.example.\n> I'm sorry to have to\n"
            ">  inform you that your message could not be delivered：\n")
    raw = _mail("From: Mail Delivery System <ops@mx.client.example>\nSubject: Notice", body)
    d = classify(raw, Envelope("<>"), CTX)
    assert d.automated == "bounce", d.reasons
    assert "this is the mail system at host" in bounces.fold(body)


def test_mailer_daemon_needs_a_word_of_failure() -> None:
    raw = _mail("From: Mailer-Daemon@mx.example\nSubject: Your invoice 6", "Attached.\n")
    assert classify(raw, Envelope("Mailer-Daemon@mx.example"), CTX).automated is None
    raw = _mail("From: Mailer-Daemon@mx.example\nSubject: Notice", "Your mail was blocked.\n")
    assert classify(raw, Envelope("Mailer-Daemon@mx.example"), CTX).automated == "bounce"


def test_a_system_name_alone_needs_the_report() -> None:
    raw = _mail("From: System Administrator <it@client.example>\nSubject: Undeliverable: x")
    assert classify(raw, Envelope("it@client.example"), CTX).automated is None
    raw = _mail("From: System Administrator <it@client.example>\nSubject: Undeliverable: x",
                "Your message did not reach some or all of the intended recipients.\n")
    assert classify(raw, Envelope("it@client.example"), CTX).automated == "bounce"


TEXTS = {
    "qmail": ("Hi. This is the qmail-send program at a.example.\nI'm afraid I wasn't able to "
              "deliver your message to the following addresses.\n\n<one@b.example>:\nSorry.\n\n"
              "<two@c.example>:\nno mailbox\n\n--- Below this line is a copy of the message.\n\n"
              "To: <three@d.example>\n", ["one@b.example", "two@c.example"]),
    "exim": ("A message that you sent could not be delivered to one or more of its\nrecipients."
             " This is a permanent error. The following address(es) failed:\n\n  x@b.example\n"
             "    SMTP error from remote mail server after MAIL FROM:<me@box.example>:\n"
             "  y@b.example\n    (generated from z@b.example)\n\n"
             "------ This is a copy of the message, including all the headers. ------\n"
             "To: w@b.example\n", ["x@b.example", "y@b.example"]),
    "sendmail": ("   ----- The following addresses had permanent fatal errors -----\n"
                 "<s@b.example>\n    (reason: 550 5.1.1 User unknown)\n\n   ----- Transcript of"
                 " session follows -----\n>>> MAIL From:<me@box.example>\n<<< 250 2.1.0 "
                 "<me@box.example>... Sender ok\n550 5.1.1 <s@b.example>... User unknown\n",
                 ["s@b.example"]),
    "exchange": ("Delivery has failed to these recipients or groups:\n\nJo Doe (jo@b.example)\n"
                 "The e-mail address you entered couldn't be found.\n\nOriginal message "
                 "headers:\n\nTo: other@b.example\n", ["jo@b.example"]),
    "gmail": ("** Address not found **\n\nYour message wasn't delivered to ann@b.example "
              "because the address couldn't be found.\n", ["ann@b.example"]),
    "dsn-text": ("Reporting-MTA: dns; mx.b.example\n\nFinal-Recipient: rfc822;"
                 "<f@b.example>\nAction: failed\n", ["f@b.example"]),
    "notes": ("------- Failure Reasons  --------\n\nUser not listed in public Name & Address Book"
              "\nn@b.example\n\n------- Returned Message --------\nTo: m@b.example\n",
              ["n@b.example"]),
}


@pytest.mark.parametrize("shape", sorted(TEXTS))
def test_failed_recipients_of_plain_text_reports(shape: str) -> None:
    text, want = TEXTS[shape]
    assert bounces.text_recipients(text) == want


def test_bounced_original_reads_the_returned_message_id() -> None:
    raw = _mail("From: MAILER-DAEMON@a.example\nSubject: failure notice\nMessage-ID: <b@a>",
                "Hi. This is the qmail-send program.\n\n<gone@b.example>:\nno.\n\n--- Below this"
                " line is a copy of the message.\n\nMessage-ID:\n <appl.4.abcdefghijklmnop@help."
                "example.com>\nSubject: x\n")
    ids, rcpts = automated.bounced_original(message_from_bytes(raw))
    assert ids == ["<appl.4.abcdefghijklmnop@help.example.com>"] and rcpts == ["gone@b.example"]
