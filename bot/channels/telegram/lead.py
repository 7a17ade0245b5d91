"""One poller per deployment: a process polls Telegram only while it holds the polling lead.

Telegram answers a second ``getUpdates`` caller of the same token with ``409 Conflict``, so
with several Helpline processes on one PostgreSQL database exactly one may poll. The lead
is a PostgreSQL advisory lock (:meth:`handoff.store.port.Store.poller_lead`), held on a
connection of its own for as long as the process polls:

* a process that does not get it asks again every ``retry_s`` and never calls
  ``getUpdates`` meanwhile;
* the leader checks every ``check_s`` that its lock's connection still answers, and stops
  polling when it does not (the lock went with the connection, so another process may
  already lead);
* a leader that dies loses the lock with its connection, and a standby takes over within
  about ``retry_s``. It starts from Telegram's unconfirmed updates, which the store's
  idempotency on the update id turns into no second message.

On SQLite one process serves the deployment and always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram.error import InvalidToken

from bot.channels.telegram.poller import Poller
from handoff.errors import StoreUnavailable, cause_of
from handoff.store.port import Store

log = logging.getLogger(__name__)

LeadCheck = Callable[[], Awaitable[bool]]


class PollerLead:
    """Runs ``poller`` while this process holds the deployment's polling lead.

    Args:
        store: where the lead lock lives.
        poller: polls Telegram (only while leading).
        retry_s: how often a standby asks for the lead.
        check_s: how often the leader checks it still holds the lead.
    """

    def __init__(
        self, store: Store, poller: Poller, *, retry_s: float = 5.0, check_s: float = 5.0
    ) -> None:
        self._store = store
        self._poller = poller
        self._retry_s = retry_s
        self._check_s = check_s
        self.leading = False
        #: How often this process asked for the lead while another process held it.
        self.refused = 0
        # Whether the last try met an outage: it is logged once, not every ``retry_s``.
        self._store_failed = False

    async def run(self) -> None:
        """Take the lead when it is free and poll while holding it; until cancelled.

        Raises:
            InvalidToken: the bot token is wrong (polling again would not help).
        """
        while True:
            try:
                async with self._store.poller_lead() as check:
                    self._store_failed = False
                    if check is None:
                        self.refused += 1
                    else:
                        await self._poll_while(check)
            except InvalidToken:
                raise
            except StoreUnavailable as exc:
                level = logging.DEBUG if self._store_failed else logging.WARNING
                self._store_failed = True
                log.log(
                    level,
                    "telegram: polling waits: the database is unavailable (%s)",
                    cause_of(exc),
                )
            except Exception:
                # Anything else broke the lead: stand by and ask again.
                log.warning("telegram: could not take or keep the polling lead", exc_info=True)
            await asyncio.sleep(self._retry_s)

    async def _poll_while(self, check: LeadCheck) -> None:
        log.info("telegram: this process polls")
        # A former lead's offset may be stale; Telegram keeps what was not confirmed.
        self._poller.offset = None
        self.leading = True
        polling = asyncio.create_task(self._poller.run(), name="telegram-poll")
        try:
            while True:
                done, _ = await asyncio.wait({polling}, timeout=self._check_s)
                if done:
                    polling.result()  # InvalidToken; run() does not return otherwise
                    return
                if not await self._still_leading(check):
                    log.warning("telegram: lost the polling lead; standing by")
                    return
        finally:
            self.leading = False
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling

    async def _still_leading(self, check: LeadCheck) -> bool:
        try:
            async with asyncio.timeout(self._check_s):
                return await check()
        except TimeoutError:
            return False
