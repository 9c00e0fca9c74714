"""A stored message, taken apart for display: its headers, its text, its HTML made safe
(nh3, then shown only in a sandboxed frame whose own CSP forbids script), and for mail the
box sent, whether its DKIM signature verifies against the key the box publishes."""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field

import nh3

# Inline styles are kept (the email's look), scripts, handlers and javascript: links are not.
SAFE_ATTRIBUTES = {"*": {"style", "align", "valign", "width", "height", "bgcolor", "colspan",
                         "rowspan", "cellpadding", "cellspacing", "border", "role", "lang",
                         "title", "alt", "dir"},
                   "a": {"href"}, "img": {"src"}}
FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox")


def sanitize(html: str) -> str:
    """HTML from mail with nothing that runs: no script, no event handlers, no javascript:
    or data: links, no forms, frames or objects; links open outside with no referrer."""
    tags = set(nh3.ALLOWED_TAGS) | {"table", "thead", "tbody", "tfoot", "tr", "td", "th",
                                    "center", "font", "span", "div", "img", "hr", "br"}
    attributes = {t: set(a) for t, a in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in SAFE_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)
    return nh3.clean(html, tags=tags, attributes=attributes, url_schemes={"http", "https",
                                                                          "mailto", "cid"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     clean_content_tags={"script", "style", "title"})


def frame_document(html: str) -> str:
    """A whole document for the sandboxed frame (served with :data:`FRAME_CSP`)."""
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">"
            "</head><body>" + sanitize(html) + "</body></html>")


@dataclass
class Parsed:
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    attachments: list[str] = field(default_factory=list)


def parse(raw: bytes) -> Parsed:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = Parsed(headers=[(k, str(v)) for k, v in msg.raw_items()])
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition == "attachment" or not ctype.startswith("text/"):
            out.attachments.append(part.get_filename() or ctype)
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):
            content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        if ctype == "text/html" and out.html is None:
            out.html = content
        elif ctype == "text/plain":
            texts.append(content)
    out.text = "\n".join(texts)
    if not out.text and out.html:
        from appliance.helpdesk.bodytext import html_to_text
        out.text = html_to_text(out.html)
    return out


def raw_headers(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")


def dkim_results(cfg, raw: bytes, from_address: str, ed25519: bool) -> list[dict]:
    """Each DKIM signature of a message the box sent, checked against the records the box
    tells the admin to publish (what a receiver sees once they are published)."""
    from appliance import dnsresolver
    from appliance.mta import auth_dkim
    from appliance.outbound.sign import dns_records
    table = {}
    for record in dns_records(cfg, from_address, ed25519=ed25519):
        if record.type == "TXT" and "._domainkey." in record.name:
            table[record.name] = {"TXT": [record.value]}
    resolver = dnsresolver.TableResolver(table)
    return [{"result": s.result, "domain": s.domain, "selector": s.selector,
             "algorithm": s.algorithm, "reason": s.reason}
            for s in auth_dkim.verify_signatures(raw, resolver, timeout=5)]
