"""The answer to a request that fails validation: 422, saying where, never echoing input.

FastAPI's own handler puts the invalid value into the answer; a value that cannot be encoded
(a lone surrogate in a JSON string) then turns the 422 into a 500 with a traceback, and a
huge value is sent straight back. This handler names the place and the problem only.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

#: How many problems an answer lists, and how long a name or message in it may be.
MAX_PROBLEMS = 10
MAX_TEXT = 100


def _clean(part: object) -> str | int:
    if isinstance(part, int):
        return part
    text = str(part)[:MAX_TEXT]
    # A lone surrogate (from a JSON key) becomes U+FFFD instead of failing the encoder.
    return text.encode("utf-8", errors="replace").decode("utf-8")


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """Answer a :class:`RequestValidationError` with where and what, without the input."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [_clean(part) for part in error.get("loc", ())][:5],
            "msg": _clean(error.get("msg", "invalid")),
            "type": _clean(error.get("type", "invalid")),
        }
        for error in errors[:MAX_PROBLEMS]
    ]
    return JSONResponse({"detail": detail}, status_code=422)
