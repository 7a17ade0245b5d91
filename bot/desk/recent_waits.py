"""The desk's recent waits, read from the store now and then and kept for every quote.

A quote is asked on every handoff, every notice with ``{eta}`` and every wait update; the
history behind it changes slowly. So it is read in one bounded query (the handoffs of the
last ``window``, at most ``limit``) and kept for ``refresh_every``: never a heavy query per
message.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from handoff.office_hours import DeskHours
from handoff.store.port import Store
from handoff.wait_history import TeamHistory, merged, team_histories

#: The most handoffs one reading takes (the newest).
RECENT_HANDOFFS = 2000
#: How far back one reading reaches.
RECENT_WINDOW = timedelta(days=14)
#: Below this many observations a team's own history says little: the desk's is used.
MIN_TEAM_OBSERVATIONS = 5


class RecentWaits:
    """Handle times and queue outcomes per team, cached.

    Args:
        store: where the handoffs are.
        hours: office hours (waits count from the opening).
        window: how far back the history reaches.
        limit: the most handoffs read (the newest).
        refresh_every: how long a reading is used before the store is asked again.
    """

    def __init__(
        self,
        store: Store,
        hours: DeskHours,
        *,
        window: timedelta = RECENT_WINDOW,
        limit: int = RECENT_HANDOFFS,
        refresh_every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._store = store
        self._hours = hours
        self._window = window
        self._limit = limit
        self._refresh_every = refresh_every
        self._teams: dict[str | None, TeamHistory] = {}
        self._desk = TeamHistory()
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def of(self, team: str | None, now: datetime) -> TeamHistory:
        """The history that ``team``'s quotes use at ``now``.

        A team with fewer than :data:`MIN_TEAM_OBSERVATIONS` waits of its own gets the
        whole desk's (its priors would otherwise decide alone).
        """
        if self._stale(now):
            async with self._lock:  # one reading for every quote that found it stale
                if self._stale(now):
                    handoffs = await self._store.recent_handoffs(
                        since=now - self._window, limit=self._limit
                    )
                    self._teams = team_histories(handoffs, now=now, hours=self._hours)
                    self._desk = merged(self._teams.values())
                    self._read_at = now
        own = self._teams.get(team)
        if own is not None and len(own.waits) >= MIN_TEAM_OBSERVATIONS:
            return own
        return self._desk

    def forget(self) -> None:
        """Read the store again at the next quote (after a change worth seeing at once)."""
        self._read_at = None

    def _stale(self, now: datetime) -> bool:
        read_at = self._read_at
        return read_at is None or not read_at <= now < read_at + self._refresh_every
