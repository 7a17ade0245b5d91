"""Files in the web chat and the console: how they are shown, sent back and refused."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

from handoff.attachments import MAX_BYTES, AttachmentRef, StoredFile, is_image
from handoff.errors import AttachmentRefused

#: The largest request that carries a file: the file and a little form or header around it.
MAX_UPLOAD_BODY = MAX_BYTES + 64 * 1024
#: Where the console serves the files of conversations (to logged-in agents only).
CONSOLE_FILES = "/console/attachments"
#: Nothing in a served file may run or load anything, whatever a browser thinks it is.
FILE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


class AttachmentOut(BaseModel):
    """A file of a message as the pages show it: a preview (images) or a download."""

    name: str
    content_type: str
    size: int
    image: bool
    url: str

    @classmethod
    def of(cls, ref: AttachmentRef, *, prefix: str) -> AttachmentOut:
        """The file ``ref`` served under ``prefix`` (the chat's or the console's route)."""
        return cls(
            name=ref.name,
            content_type=ref.content_type,
            size=ref.size,
            image=is_image(ref.content_type),
            url=f"{prefix}/{ref.id}",
        )


def file_response(stored: StoredFile) -> Response:
    """The file's bytes: images shown in the page, anything else downloaded."""
    disposition = "inline" if is_image(stored.ref.content_type) else "attachment"
    return Response(
        stored.data,
        media_type=stored.ref.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.ref.name)}",
            "Content-Security-Policy": FILE_POLICY,
            # A file never changes under its id; the reader's browser may keep it, for the
            # same token or session only.
            "Cache-Control": "private, max-age=86400, immutable",
            "Vary": "Authorization, Cookie",
        },
    )


def refused(error: AttachmentRefused, texts: dict[str, str]) -> HTTPException:
    """The answer to a refused file: 413 for its size, 415 for its type, said in words."""
    if error.reason == "size":
        return HTTPException(status_code=413, detail=texts["file_size"])
    return HTTPException(status_code=415, detail=texts["file_type"])
