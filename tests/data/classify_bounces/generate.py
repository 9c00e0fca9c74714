"""Writes the bounce and complaint samples of this folder and their labels.json.

Run from this folder: ``python generate.py``.  Each sample is written by hand after the shape
the named mail system is documented to produce (RFC 3464 / 5965 / 6591 / 7489 and the bounce
shapes catalogued by bounce parsers); hosts, people and ids are made up.  The output is
committed; this script only makes it reproducible.
"""
from __future__ import annotations

import base64
import hashlib
import json
import quopri
import sys
from email.header import Header
from pathlib import Path

HERE = Path(__file__).parent
BOX = "tickets@help.example.com"
OWN = "support@help.example.com"
AGENT = "olga.ivanova@widgets.example"
COMPANY = "support@widgets.example"
SAMPLES: list[tuple[str, str, dict, str]] = []


def token(n: int) -> str:
    return hashlib.sha1(f"sample-{n}".encode()).hexdigest()[:22]


def our_id(n: int) -> str:
    return f"<appl.{n:x}.{token(n)}@help.example.com>"


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def ew(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 encoded word, as the sending system would write the header."""
    return Header(text, charset).encode()


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode("ascii")


def b64(text: str, charset: str = "utf-8") -> str:
    data = base64.b64encode(text.replace("\n", "\r\n").encode(charset)).decode("ascii")
    return "\n".join(data[i:i + 76] for i in range(0, len(data), 76)) + "\n"


def returned(n: int, to: str, subject: str, date: str, body: str = "", headers_only=False,
             via: str = "mail.help.example.com") -> str:
    """The box's own outgoing message as a bounce returns it."""
    head = (f"Received: from {via} (mail.help.example.com [198.51.100.25])\n"
            f"\tby mx.{to.split('@')[1]} with ESMTPS id {token(n)[:10].upper()}\n"
            f"\tfor <{to}>; {date}\n"
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=help.example.com;\n"
            f"\ts=box1; h=from:to:subject:date:message-id; bh={token(n + 1)}=;\n"
            f"\tb={token(n + 2)}{token(n + 3)}\n"
            f"From: Widgets Support <{OWN}>\n"
            f"To: {to}\n"
            f"Subject: [#{n}] {subject}\n"
            f"Date: {date}\n"
            f"Message-ID: {our_id(n)}\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 7bit\n"
            "X-Appliance-Loop: help.example.com\n")
    if headers_only:
        return head
    return head + "\n" + (body or f"Hello,\n\nyour request #{n} was updated.\n\n-- \nWidgets "
                          "Support\n")


def dsn(reporting: str, recipients: list[tuple[str, str, str, str]], arrival: str = "",
        remote: str = "", queue: str = "") -> str:
    """A message/delivery-status body: per recipient (address, action, status, diagnostic)."""
    out = f"Reporting-MTA: dns; {reporting}\n"
    if queue:
        out += f"X-Postfix-Queue-ID: {queue}\n"
    if arrival:
        out += f"Arrival-Date: {arrival}\n"
    for addr, action, status, diag in recipients:
        out += f"\nFinal-Recipient: rfc822; {addr}\nAction: {action}\nStatus: {status}\n"
        if remote:
            out += f"Remote-MTA: dns; {remote}\n"
        if diag:
            out += f"Diagnostic-Code: smtp; {diag}\n"
    return out


def add(file: str, raw: str, expect: dict, note: str, mail_from: str = "<>",
        rcpt: list[str] | None = None, agent_forwarding: bool = False,
        encoding: str = "ascii") -> None:
    label = {"file": file, "mail_from": mail_from, "rcpt": rcpt or [BOX], "agents": [AGENT],
             "agent_forwarding": agent_forwarding, "note": note, "expect": expect}
    SAMPLES.append((file, raw, label, encoding))


def bounce(requester: str | None, rule: str | None = None, **more) -> dict:
    expect = {"kind": "direct", "requester": requester, "automated": "bounce"}
    if rule:
        expect["rules_include"] = [rule]
    expect.update(more)
    return expect


def person(requester: str, kind: str = "direct", **more) -> dict:
    return dict({"kind": kind, "requester": requester, "automated": None}, **more)


def write() -> None:
    import samples_bounces  # noqa: F401  (the samples register themselves through add())
    import samples_mtas  # noqa: F401
    import samples_reports  # noqa: F401
    import samples_people  # noqa: F401
    import samples_relayed  # noqa: F401
    names = [s[0] for s in SAMPLES]
    assert len(names) == len(set(names)), "duplicate file names"
    for old in HERE.glob("*.eml"):
        old.unlink()
    for file, raw, _label, encoding in SAMPLES:
        (HERE / file).write_bytes(crlf(raw).encode(encoding))
    labels = [s[2] for s in SAMPLES]
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    print(f"{len(SAMPLES)} samples written")


if __name__ == "__main__":
    sys.modules.setdefault("generate", sys.modules[__name__])
    write()
