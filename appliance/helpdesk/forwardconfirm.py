"""Forwarding confirmations: the mail a provider sends to a new forwarding address, asking
its owner to confirm.  Pure: the facts of one message in, what to show the admin out.

Gmail sends it from ``forwarding-noreply@google.com`` in the language of the mailbox that
asks, e.g. "(#123456789) Gmail Forwarding Confirmation - Receive Mail from
support@acme.example" or "(#123456789) Gmail-Weiterleitungsbestätigung - E-Mails von ...
empfangen", with the confirmation code in the body and a link on ``mail.google.com`` or
``mail-settings.google.com``.  The words change with the language; the sender, the
"(#code)" in front of the subject, the code and the link do not, so those are what count.
Such a mail is no ticket: intake ignores it and the capture addresses page shows the code
and the link ("Gmail asks you to confirm forwarding").
"""
from __future__ import annotations

import re

from appliance.addresses import normalize
from appliance.helpdesk.bodytext import decode_part
from appliance.helpdesk.rules import Facts

GMAIL_SENDER = "forwarding-noreply@google.com"
SUBJECT_CODE = re.compile(r"^\s*\(#\s*(\d{5,12})\s*\)")
# Only Google's own hosts: a forged confirmation cannot put another link on the admin page.
LINK = re.compile(r"https://mail(?:-settings)?\.google\.com/[^\s<>\"'()]+")
CODE = re.compile(r"(?<!\d)(\d{6,12})(?!\d)")
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MAX_SCAN = 100_000   # characters of each text part looked at


def _texts(f: Facts) -> list[str]:
    """Every text part as written (HTML too: its links are in the markup)."""
    found = []
    for part in f.parts():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            found.append(decode_part(part)[:MAX_SCAN])
        if len(found) >= 4:
            break
    return found


def gmail(f: Facts) -> dict | None:
    """The confirmation Gmail asks for: ``{"provider", "code", "link", "requested_by",
    "reason"}``; None for any other mail."""
    sender = f.sender.email.lower() if f.sender else ""
    if sender != GMAIL_SENDER:
        return None
    texts = _texts(f)
    subject_code = SUBJECT_CODE.match(f.subject)
    links = [m.group(0).rstrip(".,;") for t in texts for m in LINK.finditer(t)]
    if not subject_code and not links:
        return None
    code = subject_code.group(1) if subject_code else None
    if code is None:
        for text in texts:
            found = CODE.search(LINK.sub(" ", text))
            if found:
                code = found.group(1)
                break
    asking = [normalize(a) for a in ADDRESS.findall(f.subject)]
    asking += [normalize(a) for t in texts for a in ADDRESS.findall(LINK.sub(" ", t))]
    requested_by = next((a for a in asking if a and a.lower() != GMAIL_SENDER
                         and not f.is_box(a)), None)
    who = requested_by or "a Gmail mailbox"
    return {"provider": "gmail", "code": code, "link": links[0] if links else None,
            "requested_by": requested_by,
            "reason": f"Gmail's forwarding confirmation: {who} asks to forward its mail here "
                      f"(confirmation code {code or 'not found'}). It is no ticket: the "
                      "capture addresses page shows the code and the link to confirm."}
