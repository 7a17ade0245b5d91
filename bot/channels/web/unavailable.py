"""The answer while the database is unavailable: 503, saying so, with a time to retry.

An outage is no refusal of what was asked (docs/architecture.md, "The store"): the console
must not answer "not yours", and nothing is wrong with the customer's message. Console
pages get a page saying what happened; the JSON APIs (the console's and the customer
chat's) a short reason and ``Retry-After``. The chat page keeps an unsent message and
sends it again after a pause.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

log = logging.getLogger(__name__)

#: Seconds a client is told to wait before trying again.
RETRY_AFTER_S = 5
#: What the JSON answers say.
DETAIL = "the database is unavailable, try again"

Handler = Callable[[Request, Exception], Awaitable[Response]]


def _is_console_page(path: str) -> bool:
    return (path == "/console" or path.startswith("/console/")) and not path.startswith(
        "/console/api/"
    )


def store_unavailable(templates: Jinja2Templates) -> Handler:
    """The exception handler for :class:`~handoff.errors.StoreUnavailable`.

    Args:
        templates: the web templates (for the console's page).
    """

    async def answer(request: Request, exc: Exception) -> Response:
        # The database's own message stays out of the log: only what failed, and where.
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
        log.warning("database unavailable (%s): %s %s", cause, request.method, request.url.path)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if _is_console_page(request.url.path):
            return templates.TemplateResponse(
                request,
                "console_unavailable.html",
                {"agent": None, "csrf": "", "error": None, "retry_after": RETRY_AFTER_S},
                status_code=503,
                headers=headers,
            )
        return JSONResponse({"detail": DETAIL}, status_code=503, headers=headers)

    return answer
