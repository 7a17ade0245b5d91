"""The answer while the database is unavailable: 503, saying so, with a time to retry.

An outage is no refusal of what was asked (docs/architecture.md, "The store"): the console
must not answer "not yours", and nothing is wrong with the customer's message. Console
pages get a page saying what happened; the JSON APIs (the console's and the customer
chat's) a short reason and ``Retry-After``. The chat page keeps an unsent message and
sends it again after a pause. Open event streams stay open and read again after a pause
(:class:`StreamRetry`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from handoff.errors import StoreUnavailable, cause_of

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
        # Only what failed, and where.
        log.warning(
            "database unavailable (%s): %s %s", cause_of(exc), request.method, request.url.path
        )
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


#: An event stream's first wait after a failed read, in seconds; doubled up to the longest.
STREAM_RETRY_FIRST_S = 2.0
STREAM_RETRY_LONGEST_S = 30.0
#: At most one log line a minute says that streams wait for the database, however many do.
STREAM_LOG_EVERY_S = 60.0


class StreamRetry:
    """How long an open event stream waits before reading again after an outage.

    A stream holds its connection open through an outage (its keep-alive pings go on) and
    reads again after a pause, so the customer or agent sees what they missed as soon as
    the database answers, without reconnecting. The pause doubles with each failure, with
    jitter, so thousands of open streams do not knock on the database in step.
    """

    # One process-wide clock for the warning: an outage is one event, not one per stream.
    _last_logged: float | None = None

    def __init__(self, where: str) -> None:
        self._where = where
        self._failures = 0

    def failed(self, exc: StoreUnavailable) -> float:
        """Note a failed read; return the seconds to wait before the next one."""
        self._failures += 1
        now = time.monotonic()
        last = StreamRetry._last_logged
        if last is None or now - last >= STREAM_LOG_EVERY_S:
            StreamRetry._last_logged = now
            log.warning(
                "database unavailable (%s): %s waits and reads again", cause_of(exc), self._where
            )
        longest = min(STREAM_RETRY_LONGEST_S, STREAM_RETRY_FIRST_S * 2 ** (self._failures - 1))
        pause = random.uniform(longest / 2, longest)
        log.debug("database unavailable: %s reads again in %.1f s", self._where, pause)
        return pause

    def succeeded(self) -> None:
        """The database answered: the next failure waits the shortest time again."""
        self._failures = 0
