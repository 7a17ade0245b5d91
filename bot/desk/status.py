"""What the desk tells a customer about itself: notices, the expected wait, office hours.

The runtime asks this at the start of a conversation and with the handoff
acknowledgement; the timer jobs ask it for wait updates. Everything here reads the live
desk from the store and hands the pure parts (:mod:`handoff.notices`,
:mod:`handoff.office_hours`, :mod:`handoff.estimate`) the time it is given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.desk.quote import QuoteWords, WaitQuote
from bot.desk.recent_waits import RecentWaits
from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import Staffing, Utterance
from handoff.estimate import (
    AgentLoad,
    CapacityChange,
    DeskState,
    WaitEstimate,
    estimate_wait,
)
from handoff.model import (
    Agent,
    Conversation,
    ConversationState,
    MessageKind,
    Notice,
    Presence,
)
from handoff.notices import for_conversation, pick_text, render, used_placeholders
from handoff.office_hours import DeskHours, zone
from handoff.routing import effective_presence, pick_team, serves_team
from handoff.store.port import Store
from handoff.wait_text import WaitKind, format_wait, opening_phrase

#: Meta kinds of the bot's status messages (the acknowledgement's estimate, updates).
STATUS_KINDS = (MessageKind.EXPECTED_WAIT, MessageKind.WAIT_UPDATE)


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
        recent_waits: the desk's recent handle times and queue outcomes (read from the
            store, cached) that estimates are fitted to.
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
        recent_waits: RecentWaits | None = None,
        language_teams: Mapping[str, str] | None = None,
        default_team: str | None = None,
    ) -> None:
        self._away_after = away_after
        # Routing without an article: the queue a customer who has not handed off yet
        # would most likely join, for the place and wait a notice tells them.
        self._language_teams = dict(language_teams or {})
        self._default_team = default_team
        self._store = store
        self.recent_waits = recent_waits or RecentWaits(store, hours)
        self.words = QuoteWords(hours=hours, time_zone=zone(time_zone))
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

    # One figure per turn ---------------------------------------------------------------

    async def quote(
        self, conversation: Conversation, now: datetime, *, article_team: str | None = None
    ) -> WaitQuote:
        """The turn's figure for a conversation: its place (or the place it would get),
        its estimate and the desk's opening, read once.

        Args:
            conversation: where the conversation is now.
            now: the time of the turn.
            article_team: the team of the article the bot just answered with, if any: a
                handoff now would join its queue.
        """
        position = None
        team = conversation.team
        if conversation.state is ConversationState.QUEUED:
            position = await self._store.queue_position(conversation.id)
        if position is None:
            # Not queued (yet): the place and wait they would get if they asked now, in
            # the queue routing would give them, counted as the handoff's place is (per
            # team; the shared queue's own), so that the two figures agree.
            if team is None:
                team = pick_team(
                    article_team=article_team,
                    language=conversation.language,
                    language_teams=self._language_teams,
                    default_team=self._default_team,
                )
            waiting = await self._store.queue(team=team)
            position = sum(1 for w in waiting if w.conversation.team == team) + 1
        return await self.quote_for(team, position, now)

    async def quote_for(self, team: str | None, position: int, now: datetime) -> WaitQuote:
        """The turn's figure for the customer at ``position`` in ``team``'s queue."""
        open_now = self._hours.is_open(team, now)
        return WaitQuote(
            team=team,
            position=max(position, 1),
            estimate=await self.estimate(team, now, ahead=max(position, 1) - 1),
            open_now=open_now,
            opening=None if open_now else self._hours.next_open(team, now),
            now=now,
        )

    # Runtime hooks ---------------------------------------------------------------------

    async def acknowledge(self, quote: WaitQuote, language: str) -> list[Utterance]:
        """What follows a handoff acknowledgement: the expected wait, while open.

        Out of hours the acknowledgement itself says when people are back
        (:meth:`back_when`), which says more than a wait counted in hours.

        Args:
            quote: the turn's figure, read right after the handoff was stored.
            language: the language of the reply.
        """
        if not quote.open_now:
            return []
        wait = self.wait_sentence(quote, language)
        return [] if wait is None else [wait]

    def staffing(self, quote: WaitQuote) -> Staffing:
        """Who is there to take the conversation, as its acknowledgement tells it."""
        wording = self.words.opening_wording(quote)
        if wording is not None:
            return Staffing.CLOSED if wording.kind is WaitKind.BACK_AT else Staffing.CLOSED_UNKNOWN
        if quote.estimate is None:
            # Open, but no capacity now nor scheduled: nobody from the team is online.
            return Staffing.NOBODY
        return Staffing.PEOPLE

    # Office hours ----------------------------------------------------------------------

    def back_when(self, quote: WaitQuote, language: str) -> str | None:
        """When people are back, as a clause ("we are back at 08:00 tomorrow"); None while
        open, or when no opening is ahead."""
        wording = self.words.opening_wording(quote)
        if wording is None or wording.kind is not WaitKind.BACK_AT:
            return None
        return format_wait(wording, language)

    async def away_reminder(
        self, team: str | None, now: datetime, language: str, *, again: bool = False
    ) -> str | None:
        """While nobody can take ``team``'s queue, the short sentence that ends a queued
        customer's reply: when people are back (closed), or that nobody from the team is
        available (open, nobody online). None while people are on shift.

        Who is there is read as the handoff's acknowledgement reads it (:meth:`staffing`),
        so that the queue's replies never say more than the acknowledgement did.
        ``again``: for the short "still in the queue", which follows the full one; that
        nobody is available is then said short too.
        """
        if self._hours.is_open(team, now):
            # Open: the estimate has a number (PEOPLE) exactly when someone on shift has
            # room for a conversation; read without the estimate, one store call per reply.
            on_shift = self._on_shift(await self._store.list_agents(), team, now)
            if any(agent.capacity > 0 for agent in on_shift):
                return None
            return self._phrases.get("queued_nobody_again" if again else "queued_nobody", language)
        opening = self._hours.next_open(team, now)
        away = WaitQuote(team, 1, None, open_now=False, opening=opening, now=now)
        wording = self.words.opening_wording(away)
        if wording is None or wording.kind is not WaitKind.BACK_AT:
            return self._phrases.get("queued_closed_unknown", language)
        return self._phrases.get("queued_closed", language, at=opening_phrase(wording, language))

    # Wait estimate ---------------------------------------------------------------------

    async def estimate(self, team: str | None, now: datetime, *, ahead: int) -> WaitEstimate | None:
        """The expected wait of a customer with ``ahead`` others before them in ``team``."""
        # Asked together, and the agents read once: when the service is busy every store
        # call waits behind other conversations' calls, and a handoff turn makes several.
        loads, everyone = await asyncio.gather(self._store.agent_loads(), self._store.list_agents())
        history = await self.recent_waits.of(team, now)
        agents = tuple(
            AgentLoad(capacity=agent.capacity, load=loads.get(agent.id, 0))
            for agent in self._on_shift(everyone, team, now)
        )
        if not self._hours.is_open(team, now):
            agents = ()  # whoever is logged in out of hours is not on shift for the queue
        schedule: tuple[CapacityChange, ...] = ()
        opening = self._hours.next_open(team, now)
        if not agents and opening is not None and opening > now:
            # Nobody in now: assume the team's usual strength is back at the opening.
            slots = sum(a.capacity for a in everyone if a.active and serves_team(a, team))
            schedule = (CapacityChange(at=opening, slots=slots),)
        state = DeskState(
            ahead=ahead,
            agents=agents,
            handle_times_s=history.handle_times_s,
            waits=history.waits,
            schedule=schedule,
        )
        return estimate_wait(state, now)

    def _on_shift(self, everyone: Sequence[Agent], team: str | None, now: datetime) -> list[Agent]:
        """The agents of ``everyone`` who take ``team``'s queue now: active and online."""
        return [
            agent
            for agent in everyone
            if agent.active
            and serves_team(agent, team)
            and effective_presence(agent, now=now, away_after=self._away_after) is Presence.ONLINE
        ]

    def eta_words(self, quote: WaitQuote, language: str) -> str:
        """The quote's wait as customers read it ("about 10-20 minutes")."""
        return self.words.eta(quote, language)

    def wait_sentence(self, quote: WaitQuote, language: str) -> Utterance | None:
        """The "Expected wait: ..." sentence of a quote; None without an honest number."""
        estimate = quote.estimate
        if estimate is None:
            return None
        eta = self.eta_words(quote, language)
        return Utterance(
            text=self._phrases.get("expected_wait", language, eta=eta),
            meta={
                "kind": MessageKind.EXPECTED_WAIT,
                "eta": eta,
                "eta_range": [estimate.low_s, estimate.high_s],
            },
        )

    # Notices ---------------------------------------------------------------------------

    async def notices(
        self,
        conversation: Conversation,
        now: datetime,
        language: str,
        *,
        quote: WaitQuote | None = None,
        article_team: str | None = None,
    ) -> list[dict[str, Any]]:
        """The active notices for this conversation, rendered: ``[{"id", "text"}]``.

        Args:
            conversation: where the conversation is now.
            now: the time of the turn.
            language: the language of the reply.
            quote: the turn's figure, when the turn has one already; read once here
                otherwise, so every notice of the turn tells the same wait.
            article_team: the team of the article the turn answered with (see
                :meth:`quote`).
        """
        active = for_conversation(
            await self._store.active_notices(now),
            team=conversation.team,
            channel=conversation.channel,
        )
        picked = [(n.id, pick_text(n, language, fallback=self._default_language)) for n in active]
        texts = [(notice_id, *p) for notice_id, p in picked if p is not None]
        if quote is None and any(used_placeholders(t) for _, _, t in texts):
            quote = await self.quote(conversation, now, article_team=article_team)
        rendered = []
        for notice_id, text_language, text in texts:
            if quote is not None and used_placeholders(text):
                text = render(text, self.words.placeholders(quote, text_language))
            rendered.append({"id": notice_id, "text": text})
        return rendered

    async def render(
        self,
        notice: Notice,
        conversation: Conversation,
        now: datetime,
        language: str,
        *,
        quote: WaitQuote | None = None,
    ) -> str | None:
        """One notice's text for this conversation, placeholders filled; None if empty."""
        picked = pick_text(notice, language, fallback=self._default_language)
        if picked is None:
            return None
        text_language, text = picked
        if not used_placeholders(text):
            return text
        quote = quote or await self.quote(conversation, now)
        return render(text, self.words.placeholders(quote, text_language))
