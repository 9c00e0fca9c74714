"""Subjects of mail about an item: exactly one ``[#N]`` tag, one reply prefix at most.

Titles come from customers' subjects, and customers answer our mail with their client's
prefixes (``AW: [#6] Re: [#6] Printer``); an item made from mail that named another item
(helpdesk/threading.py: "may belong to #1") has a title with that item's tag.  Left alone,
every round adds a prefix and a tag.  :func:`tagged` writes the subject the box sends: the
tag of this item first, every other tag gone, a leading run of reply and forward prefixes
(in any language ``forwardtables`` knows) as one ``Re:`` or ``Fwd:``.  Incoming mail still
threads by the first tag it carries (:func:`appliance.helpdesk.threading.subject_tag`).
"""
from __future__ import annotations

import re

from appliance.helpdesk import forwardtables as T

TAG = re.compile(r"\[#(\d{1,12})\]")
_TAGS = re.compile(r"\s*\[#\d{1,12}\]\s*")
# A prefix word in the middle of a subject ("Assigned to you: Re: AW: Printer"): the words
# of two letters and more only ("I:" could be a heading), several in a row.
_WORDS = "|".join(sorted((re.escape(w) for w in T.REPLY_PREFIXES | T.FORWARD_PREFIXES
                          if len(w) > 1 and ":" not in w), key=len, reverse=True))
_INNER_RUN = re.compile(rf"(?i)(?<![\w.])((?:(?:{_WORDS})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)"
                        rf"{{2,}})")


def _kind(word: str) -> str:
    word = word.lower().replace("\u0307", "")
    return ("reply" if word in T.REPLY_PREFIXES else
            "forward" if word in T.FORWARD_PREFIXES else "")


def _leading(text: str) -> tuple[str, str]:
    """(the kind of the outermost prefix of the leading run, or "", the text after it)."""
    first = ""
    for _ in range(20):
        match = T.SUBJECT_PREFIX.match(text)
        kind = _kind(match.group(1)) if match else ""
        if not kind:
            break
        first = first or kind
        text = text[match.end():]
    return first, text


def _one(run: re.Match) -> str:
    kind, _ = _leading(run.group(1))
    return ("Re: " if kind != "forward" else "Fwd: ")


def normalised(subject: str) -> str:
    """``subject`` without any ``[#N]`` tag, its reply and forward prefix runs as one."""
    text = " ".join(_TAGS.sub(" ", subject or "").split())
    kind, rest = _leading(text)
    rest = _INNER_RUN.sub(_one, rest).strip()
    prefix = {"reply": "Re: ", "forward": "Fwd: "}.get(kind, "")
    return f"{prefix}{rest}" if rest else prefix.strip()


def tagged(item_id: int, subject: str) -> str:
    """The subject the box sends about item ``item_id``: ``[#N]`` once, first."""
    rest = normalised(subject)
    return f"[#{item_id}] {rest}".strip()
