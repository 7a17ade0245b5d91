"""What the desk tells a customer about itself: notices, the expected wait, office hours.

The runtime asks this at the start of a conversation and with the handoff
acknowledgement; the timer jobs ask it for wait updates. Everything here reads the live
desk from the store and hands the pure parts (:mod:`handoff.notices`,
:mod:`handoff.office_hours`, :mod:`handoff.estimate`) the time it is given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.phrases import Phrases
from bot.turns import Utterance
from handoff.estimate import (
    AgentLoad,
    CapacityChange,
    DeskState,
    WaitEstimate,
    estimate_wait,
)
from handoff.model import Conversation, ConversationState, Notice, Presence
from handoff.notices import for_conversation, render, text_in, used_placeholders
from handoff.office_hours import DeskHours, zone
from handoff.routing import effective_presence, serves_team
from handoff.store.port import Store
from handoff.wait_text import format_wait, wait_wording

#: Meta kinds of the bot's status messages (the acknowledgement's estimate, updates).
STATUS_KINDS = ("expected_wait", "wait_update")


def eta_range(estimate: WaitEstimate | None) -> tuple[float, float] | None:
    """The (low, high) seconds of an estimate, as stored with a status message."""
    return None if estimate is None else (estimate.low_s, estimate.high_s)


class DeskStatus:
    """Builds the desk's status sentences for one conversation.

    Args:
        store: the live desk.
        phrases: the bot's sentences.
        hours: office hours of every team.
        default_language: used when the conversation's language is unknown.
        time_zone: the deployment's, for times of teams without office hours.
        wait_updates_every: how often a queued customer may hear about their wait.
        agent_inactivity: how long a customer may wait on a silent agent before the
            conversation goes back to the queue (None: never).
        away_after: an agent "online" without console activity this long is not on
            shift (the rule routing uses).
    """

    def __init__(
        self,
        *,
        store: Store,
        phrases: Phrases,
        hours: DeskHours,
        default_language: str = "en",
        time_zone: str = "UTC",
        wait_updates_every: timedelta = timedelta(minutes=5),
        agent_inactivity: timedelta | None = timedelta(minutes=10),
        away_after: timedelta = timedelta(minutes=10),
    ) -> None:
        self._away_after = away_after
        self._store = store
        self._time_zone = zone(time_zone)
        self._wait_updates_every = wait_updates_every
        self._agent_inactivity = agent_inactivity
        self._phrases = phrases
        self._hours = hours
        self._default_language = default_language

    @property
    def hours(self) -> DeskHours:
        """The office hours of every team."""
        return self._hours

    @property
    def wait_updates_every(self) -> timedelta:
        """The least time between two wait updates of one customer."""
        return self._wait_updates_every

    @property
    def agent_inactivity(self) -> timedelta | None:
        """How long a customer may wait on a silent agent (None: for ever)."""
        return self._agent_inactivity

    # Runtime hooks ---------------------------------------------------------------------

    async def acknowledge(
        self, team: str | None, now: datetime, language: str, *, position: int | None
    ) -> list[Utterance]:
        """What follows a handoff acknowledgement: office hours, else the expected wait.

        Args:
            team: the queue the conversation was just handed to.
            now: the time of the customer's request.
            language: the language of the reply.
            position: its place in that queue, as the caller has just read it (None: no
                longer queued).
        """
        # Out of hours, when people are back says more than a wait counted in hours.
        closed = self.closed_note(team, now, language)
        said = [closed] if closed else []
        if closed is None and (wait := await self._wait_sentence(team, position, now, language)):
            said.append(wait)
        return said

    # Office hours ----------------------------------------------------------------------

    def _local(self, team: str | None) -> ZoneInfo:
        return self._hours.local_time_zone(team) or self._time_zone

    def when_back(self, team: str | None, now: datetime, language: str) -> str | None:
        """Words for when ``team``'s people are back; None while they are in.

        Returns ``""`` when the desk has no coming opening at all.
        """
        if self._hours.is_open(team, now):
            return None
        opening = self._hours.next_open(team, now)
        if opening is None:
            return ""
        zone = self._local(team)
        wording = wait_wording(None, now.astimezone(zone), opens_at=opening.astimezone(zone))
        return format_wait(wording, language)

    def closed_note(self, team: str | None, now: datetime, language: str) -> Utterance | None:
        """The out-of-hours sentence for a handoff to ``team``; None while people are in."""
        when = self.when_back(team, now, language)
        if when is None:
            return None
        key, values = ("closed_until", {"when": when}) if when else ("closed_unknown", {})
        return Utterance(
            text=self._phrases.get(key, language, **values), meta={"kind": "out_of_hours"}
        )

    # Wait estimate ---------------------------------------------------------------------

    async def estimate(self, team: str | None, now: datetime, *, ahead: int) -> WaitEstimate | None:
        """The expected wait of a customer with ``ahead`` others before them in ``team``."""
        # Asked together, and the agents read once: when the service is busy every store
        # call waits behind other conversations' calls, and a handoff turn makes several.
        loads, everyone = await asyncio.gather(self._store.agent_loads(), self._store.list_agents())
        agents = tuple(
            AgentLoad(capacity=agent.capacity, load=loads.get(agent.id, 0))
            for agent in everyone
            if agent.active
            and serves_team(agent, team)
            and effective_presence(agent, now=now, away_after=self._away_after) is Presence.ONLINE
        )
        if not self._hours.is_open(team, now):
            agents = ()  # whoever is logged in out of hours is not on shift for the queue
        schedule: tuple[CapacityChange, ...] = ()
        opening = self._hours.next_open(team, now)
        if not agents and opening is not None and opening > now:
            # Nobody in now: assume the team's usual strength is back at the opening.
            slots = sum(a.capacity for a in everyone if a.active and serves_team(a, team))
            schedule = (CapacityChange(at=opening, slots=slots),)
        return estimate_wait(DeskState(ahead=ahead, agents=agents, schedule=schedule), now)

    def eta_words(
        self, estimate: WaitEstimate | None, team: str | None, now: datetime, language: str
    ) -> str:
        """The estimate as customers read it ("about 10-20 minutes")."""
        zone = self._local(team)
        return format_wait(wait_wording(estimate, now.astimezone(zone)), language)

    async def expected_wait(
        self, conversation: Conversation, now: datetime, language: str
    ) -> Utterance | None:
        """The acknowledgement's expected-wait sentence for a queued conversation."""
        position = await self._store.queue_position(conversation.id)
        return await self._wait_sentence(conversation.team, position, now, language)

    async def _wait_sentence(
        self, team: str | None, position: int | None, now: datetime, language: str
    ) -> Utterance | None:
        if position is None:
            return None
        estimate = await self.estimate(team, now, ahead=position - 1)
        if estimate is None:
            return None
        eta = self.eta_words(estimate, team, now, language)
        return Utterance(
            text=self._phrases.get("expected_wait", language, eta=eta),
            meta={
                "kind": "expected_wait",
                "eta": eta,
                "eta_range": [estimate.low_s, estimate.high_s],
            },
        )

    # Notices ---------------------------------------------------------------------------

    async def notices(
        self, conversation: Conversation, now: datetime, language: str
    ) -> list[dict[str, Any]]:
        """The active notices for this conversation, rendered: ``[{"id", "text"}]``."""
        active = for_conversation(
            await self._store.active_notices(now),
            team=conversation.team,
            channel=conversation.channel,
        )
        return [
            {"id": notice.id, "text": text}
            for notice in active
            if (text := await self.render(notice, conversation, now, language)) is not None
        ]

    async def render(
        self, notice: Notice, conversation: Conversation, now: datetime, language: str
    ) -> str | None:
        """One notice's text for this conversation, placeholders filled; None if empty."""
        text = text_in(notice, language, fallback=self._default_language)
        if text is None:
            return None
        needed = used_placeholders(text)
        return render(text, await self._values(conversation, now, language, needed))

    async def _values(
        self, conversation: Conversation, now: datetime, language: str, needed: frozenset[str]
    ) -> Mapping[str, str]:
        values: dict[str, str] = {}
        if not needed:
            return values
        position = None
        if conversation.state is ConversationState.QUEUED:
            position = await self._store.queue_position(conversation.id)
        if position is None:
            # Not queued (yet): the place and wait they would get if they asked now.
            position = len(await self._store.queue(team=conversation.team)) + 1
        values["position"] = str(position)
        if "eta" in needed:
            estimate = await self.estimate(conversation.team, now, ahead=position - 1)
            values["eta"] = self.eta_words(estimate, conversation.team, now, language)
        if "next_open" in needed:
            when = self.when_back(conversation.team, now, language)
            values["next_open"] = self._phrases.get("opens_now", language) if when is None else when
        return values
