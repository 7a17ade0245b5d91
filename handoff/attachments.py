"""Files in conversations: which are kept (images and PDFs, told by their content) and how.

A customer's screenshot or an agent's PDF is stored apart from the transcript (its own
table, see :mod:`handoff.store`); the message that carries it names it in its ``meta``
under :data:`META_KEY`, as :class:`AttachmentRef` values. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from handoff.errors import AttachmentRefused

#: Where a message's meta lists its attachments.
META_KEY = "attachments"
#: Meta flag of a message that is only files: its text just names them.
ONLY_FILES = "attachment_only"
#: The largest file kept, in bytes (a phone screenshot is 1-3 MB; a PDF form far less).
MAX_BYTES = 5 * 1024 * 1024
#: How a file's first bytes name its type. Only these types are kept: a browser shows
#: them without running anything, and the name a file came with decides nothing.
SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
)
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
MAX_NAME = 120
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+")


def sniff(data: bytes) -> str | None:
    """The content type of ``data`` by its first bytes, or None when it is not one we keep."""
    for magic, offset, content_type in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return content_type
    return None


def is_image(content_type: str) -> bool:
    """Whether the type is shown as a picture (else it is offered as a download)."""
    return content_type.startswith("image/")


def clean_name(name: str | None, content_type: str) -> str:
    """A file name fit to show and to send back: no path, no control characters, short, and
    ending in the extension of its real type."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE_NAME.sub("_", base).strip(" ._")[:MAX_NAME] or "file"
    extension = EXTENSIONS[content_type]
    stem = (base.rsplit(".", 1)[0] if "." in base else base).strip(" ._")
    return f"{stem or 'file'}{extension}"


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A file to keep, checked: its type is known by its content and it is not too large."""

    name: str
    content_type: str
    data: bytes

    @classmethod
    def check(cls, data: bytes, name: str | None, *, max_bytes: int = MAX_BYTES) -> NewAttachment:
        """Check a file someone sent.

        Raises:
            AttachmentRefused: over ``max_bytes`` (``size``), or not an image or a PDF by
                its content (``type``), whatever its name says.
        """
        if len(data) > max_bytes:
            raise AttachmentRefused("size", limit=max_bytes)
        content_type = sniff(data)
        if content_type is None or not data:
            raise AttachmentRefused("type")
        return cls(name=clean_name(name, content_type), content_type=content_type, data=data)


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """How a message names a stored file (no content)."""

    id: str
    name: str
    content_type: str
    size: int

    def to_meta(self) -> dict[str, Any]:
        """The reference as it is kept in a message's meta."""
        return {"id": self.id, "name": self.name, "type": self.content_type, "size": self.size}


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A kept file with its content, as the store returns it.

    Attributes:
        ref: its id, name, type and size.
        customer_id: whose conversation it belongs to.
        message_id: the message that carries it (None until that message is stored).
        created_at: when it was kept.
        data: the bytes.
        conversation_id: the conversation of that message (None with it): who may read
            the conversation may read the file.
    """

    ref: AttachmentRef
    customer_id: int
    message_id: int | None
    created_at: datetime
    data: bytes
    conversation_id: UUID | None = None


def refs_of(meta: Mapping[str, Any]) -> tuple[AttachmentRef, ...]:
    """The attachments a message's meta names; malformed entries are skipped."""
    found = []
    entries = meta.get(META_KEY)
    for entry in entries if isinstance(entries, Sequence) else ():
        if not isinstance(entry, Mapping):
            continue
        ident, name, kind, size = (entry.get(k) for k in ("id", "name", "type", "size"))
        if isinstance(ident, str) and isinstance(name, str) and isinstance(kind, str):
            found.append(AttachmentRef(ident, name, kind, size if isinstance(size, int) else 0))
    return tuple(found)
