"""An agent's picture: kept only when it is a picture by its content, and small."""

from __future__ import annotations

import pytest

from handoff.avatars import MAX_AVATAR_BYTES, NewAvatar, initials
from handoff.errors import AttachmentRefused

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(("data", "content_type"), [(PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_picture_is_kept_with_the_type_its_content_shows(data: bytes, content_type: str) -> None:
    assert NewAvatar.check(data) == NewAvatar(content_type=content_type, data=data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (PDF, "type"),
        (SVG, "type"),
        (b"", "type"),
        (PNG + b"\x00" * MAX_AVATAR_BYTES, "size"),
    ],
    ids=["pdf", "svg", "empty", "too-large"],
)
def test_what_is_not_a_small_picture_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        NewAvatar.check(data)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Maria", "M"), ("Maria Jensen", "MJ"), ("anne marie holm", "AH"), ("Øjvind", "Ø"), ("", "?")],
)
def test_initials_stand_for_a_name(name: str, letters: str) -> None:
    assert initials(name) == letters
