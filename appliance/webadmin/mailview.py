"""A stored message, taken apart for display: its headers, its text, its HTML made safe
(nh3, then shown only in a sandboxed frame whose own CSP forbids script), and for mail the
box sent, whether its DKIM signature verifies against the key the box publishes."""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from typing import Callable

import nh3

from appliance.helpdesk.attachments import (human_size, is_picture, normalize_cid,
                                            safe_filename)

# Inline styles are kept (the email's look), scripts, handlers and javascript: links are not.
SAFE_ATTRIBUTES = {"*": {"style", "align", "valign", "width", "height", "bgcolor", "colspan",
                         "rowspan", "cellpadding", "cellspacing", "border", "role", "lang",
                         "title", "alt", "dir"},
                   "a": {"href"}, "img": {"src"}}
FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox")


def sanitize(html: str, cid: Callable[[str], str | None] | None = None) -> str:
    """HTML from mail with nothing that runs: no script, no event handlers, no javascript:
    or data: links, no forms, frames or objects; links open outside with no referrer.
    An image shows only when ``cid`` turns its ``cid:`` source into a ``data:`` URL of
    the stored part (the frame loads nothing else); any other image keeps its alt text
    only, so nothing is fetched from outside and the frame's CSP has nothing to refuse."""
    tags = set(nh3.ALLOWED_TAGS) | {"table", "thead", "tbody", "tfoot", "tr", "td", "th",
                                    "center", "font", "span", "div", "img", "hr", "br"}
    attributes = {t: set(a) for t, a in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in SAFE_ATTRIBUTES.items():
        attributes.setdefault(tag, set()).update(names)

    def sources(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            return cid(value) if cid and value.strip().lower().startswith("cid:") else None
        if name == "href" and value.strip().lower().startswith("cid:"):
            return None
        return value
    return nh3.clean(html, tags=tags, attributes=attributes, url_schemes={"http", "https",
                                                                          "mailto", "cid"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     clean_content_tags={"script", "style", "title"},
                     attribute_filter=sources)


def frame_document(html: str, cid: Callable[[str], str | None] | None = None) -> str:
    """A whole document for the sandboxed frame (served with :data:`FRAME_CSP`)."""
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">"
            "</head><body>" + sanitize(html, cid) + "</body></html>")


@dataclass
class MailPart:
    """A file of a message as received (not its text or HTML body)."""
    index: int
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None

    @property
    def size_text(self) -> str:
        return human_size(len(self.data))


@dataclass
class Parsed:
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    html: str | None = None
    attachments: list[str] = field(default_factory=list)
    parts: list[MailPart] = field(default_factory=list)

    def files(self, base: str) -> list[dict]:
        """The parts for ``_attachments.html``, downloaded from ``base`` + index."""
        return [{"filename": p.filename, "content_type": p.content_type,
                 "size_text": p.size_text, "url": f"{base}{p.index}",
                 "thumb": f"{base}{p.index}?inline=1" if is_picture(p.content_type)
                 else None} for p in self.parts]

    def images(self) -> dict[str, Callable[[], bytes]]:
        """Content-ID -> the part's bytes, for the frame's ``cid:`` images."""
        return {p.content_id: (lambda p=p: p.data) for p in self.parts if p.content_id}


def _part_bytes(part) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            try:
                return payload[0].as_bytes()
            except Exception:   # a header the generator cannot write: as well as it can
                return str(payload[0]).encode("utf-8", "replace")
    return part.get_payload(decode=True) or b""


def _file(out: Parsed, part, name: str | None, ctype: str) -> None:
    cid = normalize_cid(str(part.get("Content-ID") or "")) or None
    out.attachments.append(name or ctype)
    out.parts.append(MailPart(len(out.parts), safe_filename(
        name, "message.eml" if ctype == "message/rfc822" else "attachment"),
        ctype, _part_bytes(part), cid))


def parse(raw: bytes) -> Parsed:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = Parsed(headers=[(k, str(v)) for k, v in msg.raw_items()])
    texts = []
    for part in msg.walk():
        ctype = part.get_content_type()
        try:
            name = part.get_filename()
        except (LookupError, ValueError, TypeError):
            name = None
        if ctype == "message/rfc822":    # one .eml to download; its text is shown too
            _file(out, part, name, ctype)
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or not ctype.startswith("text/") \
                or (name and ctype not in ("text/plain", "text/html")):
            _file(out, part, name, ctype)
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
