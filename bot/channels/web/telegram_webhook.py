"""Telegram's webhook: Telegram posts updates here (``telegram_mode = "webhook"``).

Our own endpoint rather than PTB's webhook server, because that one answers 200 before the
update is handled: here 200 means stored (and answered). A 503 makes Telegram send the
update again later; the store's idempotency on the update id makes that harmless.
"""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.channels.telegram.channel import WEBHOOK_PATH, TelegramChannel
from bot.channels.web.unavailable import DETAIL, RETRY_AFTER_S
from handoff.errors import StoreUnavailable, cause_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def build_router(channel: TelegramChannel) -> APIRouter:
    """The webhook route of one Telegram channel (in webhook mode it has a secret)."""
    router = APIRouter()
    secret = (channel.webhook_secret or "").encode("utf-8")

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        # Constant time: the comparison must not tell a caller how much of a guess matched.
        if not secret or not hmac.compare_digest(given, secret):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        try:
            update = json.loads(await request.body())
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the stack
            return JSONResponse({"detail": "not JSON"}, status_code=400)
        if not isinstance(update, dict):
            return JSONResponse({"detail": "not an update"}, status_code=400)
        try:
            await channel.receive_json(update)
        except StoreUnavailable as exc:
            # Telegram posts the update again later: no update is lost, and an outage is
            # no fault of ours to trace.
            log.warning(
                "telegram webhook: the database is unavailable (%s); Telegram sends the update"
                " again",
                cause_of(exc),
            )
            return JSONResponse(
                {"detail": DETAIL}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
            )
        return Response(status_code=200)

    return router
