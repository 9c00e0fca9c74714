"""Attachments in the panel: the download route, thumbnails, ``cid:`` images for the mail
frame, and files an agent uploads with a reply.

Everything a mail brought is served as a download (``Content-Disposition: attachment``,
``nosniff``, a CSP sandbox), so an HTML or SVG file can never run as a page of the panel;
only PNG, JPEG, GIF and WebP, told by their bytes, are shown inline as pictures.  The
routes are behind the login like every other (:class:`security.Guard`)."""
from __future__ import annotations

import base64
import re
import unicodedata
from typing import Callable
from urllib.parse import quote

import bottle

from appliance.helpdesk import attachments
from appliance.helpdesk.mailparse import Part
from appliance.helpdesk.models import Attachment, Message
from appliance.helpdesk.settingstore import value as setting

# Types a download keeps (passive documents); any other goes out as octets, so no browser
# ever treats a mail's file as a page or a script, whatever the mail called it.
DOWNLOAD_TYPES = {"application/pdf", "text/plain", "text/csv", "application/zip"}
ATTACHMENT_CSP = "default-src 'none'; sandbox"
MAX_INLINE_IMAGE = 5 * 1024 * 1024     # a cid: image bigger than this is offered, not shown
MAX_INLINE_TOTAL = 20 * 1024 * 1024    # nor more than this in one mail frame


class TooLarge(ValueError):
    """The uploaded files exceed ``attachments.max_upload_mb``; the message says so."""


def disposition(kind: str, filename: str) -> str:
    """``attachment; filename="..."; filename*=UTF-8''...`` (RFC 6266 with RFC 5987 for a
    name in any language; the plain one is an ASCII stand-in for old clients)."""
    name = attachments.safe_filename(filename)
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", plain).strip() or "attachment"
    if plain.startswith(".") or set(plain) <= {"_", "."}:
        ext = name.rpartition(".")[2] if "." in name else ""
        plain = "attachment" + ("." + re.sub(r"[^A-Za-z0-9]", "", ext) if ext else "")
    value = f'{kind}; filename="{plain}"'
    if plain != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def serve(data: bytes, filename: str, content_type: str, inline: bool = False) -> bytes:
    """One file as the response.  ``inline`` (a thumbnail) shows it only when its bytes
    are a PNG, JPEG, GIF or WebP; anything else, SVG and HTML included, downloads."""
    picture = attachments.image_type(data) if inline else None
    if picture:
        ctype, kind = picture, "inline"
    else:
        claimed = (content_type or "").lower().split(";")[0].strip()
        ctype = claimed if claimed in DOWNLOAD_TYPES else "application/octet-stream"
        kind = "attachment"
    response = bottle.response
    response.content_type = ctype
    response.set_header("Content-Disposition", disposition(kind, filename))
    response.set_header("X-Content-Type-Options", "nosniff")
    response.set_header("Content-Security-Policy", ATTACHMENT_CSP)
    response.set_header("Cache-Control", "private, no-store")
    response.set_header("Content-Length", str(len(data)))
    return data


def missing(filename: str) -> None:
    bottle.abort(404, f"The file of the attachment “{filename}” is missing from the "
                      f"attachments directory (it was removed, or a backup was restored "
                      f"without it). The message itself is still on the item.")


def listing(rows: list[Attachment]) -> list[dict]:
    """What the templates show for stored attachments (``_attachments.html``)."""
    return [{"filename": a.filename, "content_type": a.content_type,
             "size_text": attachments.human_size(a.size), "url": f"/attachments/{a.id}",
             "thumb": f"/attachments/{a.id}?inline=1"
             if attachments.is_picture(a.content_type) else None} for a in rows]


def data_uri(data: bytes) -> str | None:
    """A ``data:`` URL of a picture (the mail frame is sandboxed without cookies, so an
    inline image can only come with the frame); None for anything but PNG, JPEG, GIF,
    WebP or a picture too big to inline."""
    ctype = attachments.image_type(data)
    if ctype is None or len(data) > MAX_INLINE_IMAGE:
        return None
    return f"data:{ctype};base64,{base64.b64encode(data).decode('ascii')}"


def cid_resolver(found: dict[str, Callable[[], bytes | None]]) -> Callable[[str], str | None]:
    """``cid:`` URL -> the ``data:`` URL of that part, for :func:`mailview.sanitize`;
    ``found`` maps normalised Content-IDs to a reader of the part's bytes."""
    spent = [0]

    def resolve(url: str) -> str | None:
        read = found.get(attachments.normalize_cid(url))
        data = read() if read else None
        if data is None or spent[0] + len(data) > MAX_INLINE_TOTAL:
            return None
        uri = data_uri(data)
        if uri:
            spent[0] += len(data)
        return uri
    return resolve


def message_images(cfg, message: Message) -> Callable[[str], str | None]:
    """The resolver for one stored message: its own parts with a Content-ID."""
    rows = Attachment.select().where(Attachment.message == message,
                                     Attachment.content_id.is_null(False))
    return cid_resolver({r.content_id: (lambda r=r: attachments.read(cfg.attachments_dir, r))
                         for r in rows})


def _upload_name(raw: str | None) -> str:
    """Bottle reads part headers as Latin-1: a browser's UTF-8 file name comes back whole."""
    raw = raw or ""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def read_uploads(field: str, limit_mb: int) -> list[Part]:
    """The files of a multipart form's ``field`` (empty inputs skipped), at most
    ``limit_mb`` MB together; :class:`TooLarge` otherwise, with the sizes in words."""
    import mimetypes
    limit = limit_mb * 1024 * 1024
    files, total = [], 0
    for upload in bottle.request.files.getall(field):
        data = upload.file.read(limit + 1 - total) if total <= limit else b""
        rest = 0
        while chunk := upload.file.read(1 << 20):   # count what is over, keep nothing
            rest += len(chunk)
        name = attachments.safe_filename(_upload_name(upload.raw_filename))
        if not data and not rest and not upload.raw_filename:
            continue
        total += len(data) + rest
        guessed = mimetypes.guess_type(name)[0]
        files.append(Part(name, guessed or upload.content_type or "application/octet-stream",
                          data))
    if total > limit:
        raise TooLarge(f"Nothing was posted: the attached files come to "
                       f"{attachments.human_size(total)} together, more than the "
                       f"{limit_mb} MB one reply or note may carry (the setting "
                       f"attachments.max_upload_mb). Your text is kept below: attach fewer "
                       f"or smaller files and send it again.")
    return files


def upload_limit(cfg) -> int:
    return setting("attachments.max_upload_mb", cfg.domain)


def routes(app: bottle.Bottle, cfg) -> None:

    @app.get("/attachments/<attachment_id:int>")
    def download(attachment_id):
        row = Attachment.get_or_none(Attachment.id == attachment_id) or bottle.abort(
            404, "No such attachment: it may belong to a message that was removed.")
        data = attachments.read(cfg.attachments_dir, row)
        if data is None:
            missing(row.filename)
        return serve(data, row.filename, row.content_type,
                     inline=bottle.request.query.get("inline") == "1")

    @app.get("/admin/email/incoming/<entry_id:int>/parts/<index:int>", role="admin")
    def incoming_part(entry_id, index):
        from appliance.helpdesk.models import IncomingMail
        from appliance.helpdesk.views import stored_message
        from appliance.webadmin import mailview
        row = IncomingMail.get_or_none(IncomingMail.id == entry_id) or bottle.abort(
            404, "No such incoming log entry.")
        raw = stored_message(row, cfg.spool_dir)
        if raw is None:
            bottle.abort(404, "The stored copy of this message is gone (messages are kept "
                              "for retention.hours); its attachments are on its item.")
        parts = mailview.parse(raw).parts
        if not 0 <= index < len(parts):
            bottle.abort(404, "This message has no such attachment.")
        part = parts[index]
        return serve(part.data, part.filename, part.content_type,
                     inline=bottle.request.query.get("inline") == "1")
