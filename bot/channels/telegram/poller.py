"""Long polling with our own fetch loop: an update is confirmed only after it was handled.

PTB's ``Updater`` confirms a fetched batch to Telegram (the next ``getUpdates`` offset)
before any handler has run, so a crash loses the batch. Here the offset moves past a
batch only after every update in it was stored (and answered): a crash before that makes
Telegram deliver the batch again, and the store's idempotency on the update id turns the
redelivery into no second message and no second reply.

Updates of different chats are handled concurrently, those of one chat in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.delivery import retry_after_s
from handoff.errors import StoreUnavailable, cause_of

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query")


class Poller:
    """Fetches updates and hands each to ``receive`` before confirming the batch.

    Args:
        bot: PTB's bot.
        receive: handles one update; raises StoreUnavailable when it could not be stored
            (the batch is then fetched and handled again after ``retry_s``).
        timeout_s: how long one ``getUpdates`` waits for news (long polling).
        retry_s: the pause after an error before fetching again.
    """

    def __init__(
        self,
        bot: Bot,
        receive: Callable[[Update], Awaitable[None]],
        *,
        timeout_s: int = 30,
        retry_s: float = 5.0,
    ) -> None:
        self._bot = bot
        self._receive = receive
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self.offset: int | None = None
        # Whether the database failed the last batch: an outage is logged once, not per retry.
        self._store_failed = False

    async def run(self) -> None:
        """Poll until cancelled.

        Raises:
            InvalidToken: the bot token is wrong (polling again would not help).
        """
        while True:
            try:
                updates = await self._bot.get_updates(
                    offset=self.offset,
                    timeout=self._timeout_s,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_s(exc))
                continue
            except Conflict as exc:
                log.error("another process polls this bot token (%s); retrying", exc.message)
                await asyncio.sleep(self._retry_s)
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("telegram getUpdates failed: %s; retrying", exc)
                await asyncio.sleep(self._retry_s)
                continue
            if not updates:
                continue
            try:
                await self.handle_batch(updates)
            except StoreUnavailable as exc:
                self._store_unavailable(exc)
                await asyncio.sleep(self._retry_s)
                continue
            if self._store_failed:
                self._store_failed = False
                log.info("telegram updates are handled again: the database answers")
            self.offset = updates[-1].update_id + 1

    def _store_unavailable(self, exc: StoreUnavailable) -> None:
        # Unconfirmed, the batch stays with Telegram and is fetched again after the pause.
        level = logging.DEBUG if self._store_failed else logging.WARNING
        self._store_failed = True
        log.log(
            level,
            "telegram updates wait: the database is unavailable (%s); fetching them again in %g s",
            cause_of(exc),
            self._retry_s,
        )

    async def handle_batch(self, updates: Sequence[Update]) -> None:
        """Handle a batch: chats concurrently, each chat's updates in order.

        Raises:
            StoreUnavailable: some update could not be stored.
        """
        by_chat: dict[int, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            key = chat.id if chat is not None else -update.update_id
            by_chat.setdefault(key, []).append(update)
        results = await asyncio.gather(
            *(self._handle_in_order(chat_updates) for chat_updates in by_chat.values()),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _handle_in_order(self, updates: Sequence[Update]) -> None:
        for update in updates:
            await self._receive(update)
