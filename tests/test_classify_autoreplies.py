"""Auto-replies, challenge-response mail and list mail (tests/data/classify_autoreplies):
every sample is judged for kind, requester and automated, and for the rules that must (or
must not) have fired.  The samples are written by make_samples.py in that folder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_classify_corpus import _email, judge

FOLDER = "classify_autoreplies"
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
