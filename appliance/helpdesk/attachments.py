"""Attachments on disk: one content-addressed file per distinct content under the data
directory's ``attachments/``, named by an :class:`Attachment` row per message.

Intake stores what came with mail; an agent's reply stores what they uploaded; the panel
reads both back; the relay mails them with their message.  Every file is fsynced before
the transaction that names it commits, so a row never points at half a file."""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from appliance.helpdesk.models import Attachment, Message

# What the panel shows as a picture (a thumbnail, an inline ``cid:`` image): passive
# formats only, told by their first bytes, never SVG (a document that can run script).
IMAGE_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
               "image/gif": (b"GIF87a", b"GIF89a")}


def store_file(root: Path, data: bytes) -> str:
    """Content-addressed and fsynced before the transaction that names it commits; the
    path relative to ``root``."""
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{digest[:2]}/{digest}"
    path = root / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)   # a full disk keeps no half-written copy
            raise
    return rel


@dataclass(frozen=True)
class Stored:
    """A file on disk, not yet named by a row (stored before the transaction opens)."""
    filename: str
    content_type: str
    size: int
    path: str
    content_id: str | None = None


def store(root: Path, filename: str, content_type: str, data: bytes,
          content_id: str | None = None) -> Stored:
    return Stored(safe_filename(filename), (content_type or "application/octet-stream")[:255],
                  len(data), store_file(root, data), content_id)


def add(message: Message, files: Iterable[Stored]) -> list[Attachment]:
    """The rows naming ``files`` on ``message`` (in the caller's transaction)."""
    return [Attachment.create(message=message, filename=f.filename[:255],
                              content_type=f.content_type[:255], size=f.size, path=f.path,
                              content_id=(f.content_id or "")[:255] or None)
            for f in files]


def read(root: Path, attachment: Attachment) -> bytes | None:
    """The stored bytes; None when the file is gone (a restore without the directory)."""
    path = (root / attachment.path).resolve()
    if root.resolve() not in path.parents:
        return None
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A name fit to store and to offer for download: the last path component, no
    control characters or quotes, at most 200 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in '"*<>?|:')
    name = name.strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or fallback


def image_type(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg``, ``image/gif`` or ``image/webp`` when the bytes are one
    (whatever the mail claimed); None for anything else, SVG included."""
    for ctype, magics in IMAGE_MAGIC.items():
        if data.startswith(magics):
            return ctype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_picture(content_type: str) -> bool:
    """Whether the stored type is one the panel shows as a thumbnail (checked again on
    the bytes when it is served)."""
    return content_type.lower() in (*IMAGE_MAGIC, "image/webp")


def human_size(size: int) -> str:
    """``512 B``, ``12 KB``, ``1.5 MB``: what a person reads next to a file name."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}" if value < 10 and unit != "KB" else f"{value:.0f} {unit}"


def of_messages(messages: Iterable[Message]) -> dict[int, list[Attachment]]:
    """Each message's attachments in one query, in the order they were stored."""
    ids = [m.id for m in messages]
    found: dict[int, list[Attachment]] = {i: [] for i in ids}
    if ids:
        for a in (Attachment.select().where(Attachment.message.in_(ids))
                  .order_by(Attachment.id)):
            found[a.message_id].append(a)
    return found


def normalize_cid(value: str | None) -> str:
    """A Content-ID as ``cid:`` URLs name it: without angle brackets, unescaped, lower
    case (RFC 2392)."""
    from urllib.parse import unquote
    value = (value or "").strip()
    if value.lower().startswith("cid:"):
        value = unquote(value[4:])
    return value.strip().strip("<>").strip().lower()
