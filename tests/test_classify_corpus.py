"""Every label of the shared corpus (copied to tests/data/corpus) and of our own corpus
(tests/data/classify) is judged right: kind, requester, automated and any further key."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.helpdesk.classify import Envelope, classify, context_from_args

DATA = Path(__file__).parent / "data"


def _labels(folder: str) -> list[tuple[str, dict]]:
    labels = json.loads((DATA / folder / "labels.json").read_text(encoding="utf-8"))
    return [(folder, label) for label in labels]


def judge(folder: str, label: dict) -> dict:
    raw = (DATA / folder / label["file"]).read_bytes()
    ctx = context_from_args(label["rcpt"], label["agents"], label["agent_forwarding"])
    extra = label.get("context", {})
    if extra:
        from dataclasses import replace
        ctx = replace(ctx, **{k: (tuple(v) if k == "blocklist" else frozenset(v))
                              for k, v in extra.items()})
    return classify(raw, Envelope(label["mail_from"], tuple(label["rcpt"])), ctx).to_json()


def _email(person: dict | None) -> str | None:
    return person["email"].lower() if person else None


CASES = _labels("corpus") + (_labels("classify") if (DATA / "classify").exists() else [])


@pytest.mark.parametrize("folder,label", CASES, ids=[f"{f}/{lab['file']}" for f, lab in CASES])
def test_label(folder: str, label: dict) -> None:
    decision = judge(folder, label)
    assert json.loads(json.dumps(decision)) == decision
    for key, want in label["expect"].items():
        if key in ("requester", "forwarder", "original_sender"):
            got = _email(decision[key])
            want = want.lower() if want else None
        elif key == "followers":
            got = sorted(_email(p) for p in decision["followers"])
            want = sorted(w.lower() for w in want)
        elif key == "original_name":
            got = (decision["original_sender"] or {}).get("name")
        elif key == "reason_contains":
            got = " ".join(decision["reasons"])
            assert want in got, (label["file"], decision["reasons"])
            continue
        else:
            got = decision[key]
        assert got == want, (label["file"], key, decision["reasons"])
