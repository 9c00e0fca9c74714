"""Hand forwards by agents from every common mail client in 24 languages, and people's own
mail that only looks like a forward (tests/data/classify_forwards, written by its
generate.py): kind, requester and automated of every sample, and the further keys a label
names (original sender and name, forwarder, a reason)."""
from __future__ import annotations

import json

import pytest

from test_classify_corpus import DATA, _email, judge

FOLDER = "classify_forwards"
LABELS = json.loads((DATA / FOLDER / "labels.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("label", LABELS, ids=[lab["file"] for lab in LABELS])
def test_forward_sample(label: dict) -> None:
    decision = judge(FOLDER, label)
    want = label["expect"]
    why = (label["file"], label["note"], decision["reasons"])
    assert decision["kind"] == want["kind"], why
    assert _email(decision["requester"]) == (want["requester"] or "").lower() or \
        (want["requester"] is None and decision["requester"] is None), why
    assert decision["automated"] == want["automated"], why
    for key in ("forwarder", "original_sender"):
        if key in want:
            assert _email(decision[key]) == (want[key].lower() if want[key] else None), why
    if "original_name" in want:
        assert (decision["original_sender"] or {}).get("name") == want["original_name"], why
    if "reason_contains" in want:
        assert want["reason_contains"] in " ".join(decision["reasons"]), why
    if want["kind"] == "manual_forward" and want["requester"] != label["mail_from"]:
        # the reasons name one requester and never also claim the agent is it
        assert not any("the agent is the requester" in r for r in decision["reasons"]), why


def test_every_language_has_eight_forwards() -> None:
    counts: dict[str, int] = {}
    for label in LABELS:
        if label["file"].startswith("fwd-") and label["expect"]["kind"] == "manual_forward":
            lang = label["file"].rsplit("-", 1)[-1].removesuffix(".eml")
            counts[lang] = counts.get(lang, 0) + 1
    langs = {k: v for k, v in counts.items() if len(k) == 2}
    assert len(langs) >= 24 and min(langs.values()) >= 8, langs


def test_negatives_are_people_not_automated() -> None:
    negatives = [lab for lab in LABELS if lab["file"].startswith("neg-")]
    assert len(negatives) >= 15
    assert all(lab["expect"]["automated"] is None for lab in negatives)
