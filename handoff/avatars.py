"""An agent's picture, shown to customers beside their name instead of initials.

An admin uploads it on the console's agents page. It is kept in the database (one row per
agent) and served at a public address, as the agent's name is public to the customers
they talk to. Only pictures are kept, told by their content, never by a file name. Pure:
no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handoff.attachments import is_image, sniff
from handoff.errors import AttachmentRefused

#: The largest picture kept: a face at a few hundred pixels fits many times over.
MAX_AVATAR_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class NewAvatar:
    """A picture to keep, checked: an image by its content, not too large."""

    content_type: str
    data: bytes

    @classmethod
    def check(cls, data: bytes) -> NewAvatar:
        """Check an uploaded picture.

        Raises:
            AttachmentRefused: over :data:`MAX_AVATAR_BYTES` (``size``), or not a PNG,
                JPEG, GIF or WebP picture by its content (``type``).
        """
        if len(data) > MAX_AVATAR_BYTES:
            raise AttachmentRefused("size", limit=MAX_AVATAR_BYTES)
        content_type = sniff(data)
        if content_type is None or not is_image(content_type):
            raise AttachmentRefused("type")
        return cls(content_type=content_type, data=data)


@dataclass(frozen=True, slots=True)
class Avatar:
    """A kept picture of an agent."""

    agent_id: int
    content_type: str
    data: bytes
    updated_at: datetime

    @property
    def version(self) -> int:
        """Changes with each new picture: part of its address, so caches never go stale."""
        return version_of(self.updated_at)


def version_of(updated_at: datetime) -> int:
    """A picture's version from when it was set (milliseconds)."""
    return int(updated_at.timestamp() * 1000)


def initials(name: str) -> str:
    """What stands for a person without a picture: "Maria Jensen" -> "MJ" (as the chat)."""
    words = name.split()
    letters = [words[0], words[-1]] if len(words) > 1 else words
    return "".join(word[0].upper() for word in letters) or "?"


def avatar_path(agent_id: int, version: int) -> str:
    """Where the agent's current picture is served."""
    return f"/avatars/{agent_id}?v={version}"
