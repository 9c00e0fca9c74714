"""Auto-replies, challenge-response mail and list mail (tests/data/classify_autoreplies):
every sample is judged for kind, requester and automated, and for the rules that must (or
must not) have fired.  The samples are written by make_samples.py in that folder."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_classify_corpus import _email, judge

from appliance.helpdesk.classify import Envelope, classify, context_from_args

FOLDER = "classify_autoreplies"
BOX = "tickets@help.example.com"
LABELS = json.loads((Path(__file__).parent / "data" / FOLDER / "labels.json")
                    .read_text(encoding="utf-8"))


@pytest.mark.parametrize("label", LABELS, ids=[lab["file"] for lab in LABELS])
def test_sample(label: dict) -> None:
    decision = judge(FOLDER, label)
    want = label["expect"]
    why = (label["file"], decision["rules"], decision["reasons"])
    assert {"kind", "requester", "automated"} <= set(want), label["file"]
    assert decision["kind"] == want["kind"], why
    requester = want["requester"].lower() if want["requester"] else None
    assert _email(decision["requester"]) == requester, why
    assert decision["automated"] == want["automated"], why
    assert set(want.get("rules", ())) <= set(decision["rules"]), why
    assert not set(want.get("not_rules", ())) & set(decision["rules"]), why
    if "reason_contains" in want:
        assert want["reason_contains"] in " ".join(decision["reasons"]), why


def test_the_families_are_covered() -> None:
    """At least 90 samples; every family has its shapes, and persons' mail is among them."""
    names = [lab["file"] for lab in LABELS]
    assert len(names) >= 90
    for prefix, least in (("exchange-", 30), ("lotus-", 4), ("localized-", 25),
                          ("challenge-", 6), ("list-", 12), ("person-", 20)):
        assert sum(n.startswith(prefix) for n in names) >= least, prefix
    persons = [lab for lab in LABELS if lab["file"].startswith("person-")]
    assert all(lab["expect"]["automated"] is None for lab in persons)


def test_samples_arrive_as_over_smtp() -> None:
    folder = Path(__file__).parent / "data" / FOLDER
    for label in LABELS:
        raw = (folder / label["file"]).read_bytes()
        assert b"\n" not in raw.replace(b"\r\n", b""), label["file"]
        head = raw.split(b"\r\n\r\n", 1)[0]
        for name in (b"\r\nDate: ", b"\r\nMessage-ID: ", b"MIME-Version: 1.0"):
            assert name in b"\r\n" + head, (label["file"], name)


CTX = context_from_args([BOX], ["olga.ivanova@widgets.example"], True)


def _mail(subject: str, extra: str = "", body: str = "Back on Monday.\r\n",
          sender: str = "Jana Novak <jana@client.example>") -> bytes:
    head = (f"From: {sender}\r\nTo: {BOX}\r\nSubject: {subject}\r\nDate: Mon, 30 Nov 2026 "
            "09:00:00 +0000\r\nMessage-ID: <v1@client.example>\r\n" + extra
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    return head.encode("utf-8") + body.encode("utf-8")


def _decide(raw: bytes, mail_from: str = "jana@client.example"):
    return classify(raw, Envelope(mail_from, (BOX,)), CTX)


# Auto-reply subjects as servers and clients write them: case, spacing, full-width colons,
# non-breaking spaces, a byte-order mark, a list tag, encoded words.
AUTO_REPLY_SUBJECTS = [
    "AUTOMATIC REPLY: Printer offline", "automatic reply : Printer offline",
    "Automatic  reply：Printer offline", "Automatic\u00a0reply: Printer offline",
    "\ufeffAutomatic reply: Printer offline", "[support] Automatic reply: Printer offline",
    "Auto-Reply: Printer offline", "AutoReply: Printer offline", "Auto Response: Printer",
    "Out of Office: Printer offline", "OUT OF OFFICE: Printer", "Out of the Office: Printer",
    "Out of Office AutoReply: Printer", "[Auto-Reply] Printer offline", "Printer (Auto-Reply)",
    "Réponse automatique : Printer", "RÉPONSE AUTOMATIQUE: Printer",
    "=?utf-8?q?R=C3=A9ponse_automatique?= : Printer", "Respuesta automática: Printer",
    "Resposta automática: Printer", "Risposta automatica: Printer", "Abwesenheitsnotiz: X",
    "Automatische Antwort: X", "Ausser Haus: X", "Außer Haus: X",
    "=?iso-8859-2?q?Automatyczna_odpowied=BC=3A?= X", "Automatisch antwoord: X", "Autosvar: X",
    "Automatisk svar: X", "Automaattinen vastaus: X", "Automatická odpověď: X",
    "Automatická odpoveď: X", "Automatski odgovor: X", "Răspuns automat: X",
    "Automaatne vastus: X", "Автоматична відповідь: X", "Автоматический ответ: X",
    "Otomatik yanıt: X", "Automatikus válasz: X", "Αυτόματη απάντηση: X", "自動応答：X",
    "自動返信: X", "【自動応答】X", "自动回复：X", "自動回覆: X", "자동 응답: X",
    "AUTO: Jane Doe is out of the office (returning 12/02/2026)",
    "AUTO: Jane Doe ist außer Haus (Rückkehr am 02.12.2026)",
]


@pytest.mark.parametrize("subject", AUTO_REPLY_SUBJECTS)
@pytest.mark.parametrize("extra", ["", "Precedence: junk\r\n", "Precedence: bulk\r\n"])
def test_auto_reply_subjects(subject: str, extra: str) -> None:
    d = _decide(_mail(subject, extra))
    assert (d.kind, d.automated) == ("direct", "auto_reply"), d.reasons
    assert d.requester.email == "jana@client.example"
    assert "out-of-office" in d.rules


# A person's own mail that only uses the words, with and without Outlook's headers.
PERSON_SUBJECTS = [
    "Re: Out of office plans", "Automatic reply settings broken", "Out of office plans",
    "My automatic reply is broken", "Auto reply not sending anything", "Absence", "Vacation",
    "Out of office", "Auto: insurance claim 4471", "I am out of the office on Friday",
    "Undeliverable parcel 1189", "Please confirm your message was received",
    "Confirmation request for order 1190", "AW: Abwesenheitsnotiz: Drucker",
    "RE: Réponse automatique : Printer", "Antw: Automatisch antwoord: X",
    "SV: Autosvar: X", "Réponse automatique ne marche pas", "Автоответ не работает",
    "Questions about auto-reply: how to switch it off", "Away team fixtures",
]


@pytest.mark.parametrize("subject", PERSON_SUBJECTS)
@pytest.mark.parametrize("extra", ["", "X-Auto-Response-Suppress: All\r\nThread-Topic: x\r\n"])
def test_persons_who_mention_the_words(subject: str, extra: str) -> None:
    body = ("I forwarded this yesterday. My automatic reply is broken and I am out of the "
            "office on Friday; the parcel was undeliverable.\r\n> Automatic reply: x\r\n")
    d = _decide(_mail(subject, extra, body))
    assert (d.kind, d.automated) == ("direct", None), (subject, d.rules, d.reasons)
    assert d.requester.email == "jana@client.example"


def test_weak_words_count_only_in_an_answer() -> None:
    for subject in ("Out of office", "Absence", "Abwesend", "Automatic reply", "Auto: x"):
        assert _decide(_mail(subject)).automated is None
        answer = _decide(_mail(subject, "In-Reply-To: <appl.4.x@help.example.com>\r\n"))
        assert answer.automated == "auto_reply", subject


def test_exchange_redirect_of_outlook_mail_stays_a_forward() -> None:
    """The company's Exchange redirect rule keeps a person's From; X-Auto-Response-Suppress
    set by their Outlook does not make it an out-of-office reply."""
    raw = _mail("Order 1189 not shipped", "X-MS-Exchange-Organization-AutoForwarded: true\r\n"
                "X-MS-Exchange-Inbox-Rules-Loop: support@widgets.example\r\n"
                "X-Auto-Response-Suppress: All\r\n", sender="Ravi <ravi.kumar@client.example>")
    d = _decide(raw, "support@widgets.example")
    assert (d.kind, d.automated) == ("auto_forward", None), d.reasons
    assert d.requester.email == "ravi.kumar@client.example"


def test_exchange_oof_forwarded_by_the_configured_company_mailbox() -> None:
    ctx = replace(CTX, company_addresses=frozenset({"support@widgets.example"}))
    raw = _mail("Automatic reply: Printer offline", "X-MS-Exchange-Inbox-Rules-Loop: "
                "support@widgets.example\r\nX-MS-Exchange-Organization-AutoForwarded: true\r\n")
    d = classify(raw, Envelope("support@widgets.example", (BOX,)), ctx)
    assert (d.kind, d.automated) == ("auto_forward", "auto_reply"), d.reasons
    assert d.requester.email == "jana@client.example"


def test_a_list_is_never_the_requester() -> None:
    raw = _mail("[Users] Hello", "List-Id: <users.lists.example>\r\nList-Post: <mailto:users@"
                "lists.example>\r\nReply-To: users@lists.example\r\n",
                sender="Users <users@lists.example>")
    d = _decide(raw, "users-bounces@lists.example")
    assert (d.kind, d.requester, d.automated) == ("direct", None, "bulk"), d.reasons
