"""Which files are kept: told by their content, never their name, and not too large."""

from __future__ import annotations

import pytest

from handoff.attachments import AttachmentRef, NewAttachment, clean_name, refs_of, sniff
from handoff.errors import AttachmentRefused

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (b"<html><script>alert(1)</script>", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", None),
        (b"PK\x03\x04zip", None),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_content(data: bytes, content_type: str | None) -> None:
    assert sniff(data) == content_type


def test_a_page_named_like_a_picture_is_refused() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        NewAttachment.check(b"<html><script>alert(1)</script>", "screenshot.png")
    assert refused.value.reason == "type"


def test_a_file_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        NewAttachment.check(PDF + b"\x00" * 100, "form.pdf", max_bytes=64)
    assert (refused.value.reason, refused.value.limit) == ("size", 64)


@pytest.mark.parametrize(
    ("name", "content_type", "clean"),
    [
        ("error.png", "image/png", "error.png"),
        ("error.pdf", "image/png", "error.png"),  # the content decides the extension
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\ann\\shot.jpeg", "image/jpeg", "shot.jpg"),
        ("<img src=x onerror=1>.gif", "image/gif", "img src_x onerror_1.gif"),
        ("", "image/png", "file.png"),
        (None, "application/pdf", "file.pdf"),
        ("skærmbillede.png", "image/png", "skærmbillede.png"),
    ],
)
def test_names_are_cleaned(name: str | None, content_type: str, clean: str) -> None:
    assert clean_name(name, content_type) == clean


def test_a_message_names_its_files_in_its_meta() -> None:
    ref = AttachmentRef("abc", "shot.png", "image/png", 12)
    assert refs_of({"attachments": [ref.to_meta(), {"id": 3}, "junk"]}) == (ref,)
    assert refs_of({"attachments": "junk"}) == ()
