"""The service's metrics in Prometheus form: what the bot and the desk did, and the queue now.

Counters grow as the runtime works (it calls the :class:`RuntimeObserver` methods);
the queue gauges are read from the store when someone scrapes, so they are never stale
and cost nothing between scrapes. Each :class:`Metrics` owns its own registry: two
services in one process (tests) never share a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.desk.status import DeskStatus
from handoff.model import HandoffReason, Message, MessageKind, SenderKind
from handoff.store.port import Store

#: The media type of :meth:`Metrics.exposition`.
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: How the team label names the queue of conversations without a team.
NO_TEAM = "none"


class RuntimeObserver(Protocol):
    """What the runtime reports as it works (implemented by :class:`Metrics`)."""

    def message_received(self, channel: str) -> None:
        """A new customer message was stored (a redelivery is not new)."""

    def message_stored(self, channel: str, message: Message) -> None:
        """The bot or an agent wrote to a customer on ``channel``."""

    def handoff_requested(self, reason: HandoffReason) -> None:
        """The bot handed a conversation to people."""

    def delivery_failed(self, channel: str) -> None:
        """A message could not be delivered on ``channel``."""


class Metrics:
    """Counters of the runtime and gauges of the desk, in one registry per service.

    Args:
        store: read at scrape time for the queue.
        status: estimates the wait of the next customer of each team.
        teams: the configured team ids, reported even while their queue is empty.
        reload_failing: whether the last reload of the knowledge folder failed (the last
            good knowledge is serving, not the files on disk).
    """

    def __init__(
        self,
        *,
        store: Store,
        status: DeskStatus,
        teams: Iterable[str] = (),
        reload_failing: Callable[[], bool] | None = None,
    ) -> None:
        self._store = store
        self._status = status
        self._teams = tuple(teams)
        self._reload_failing = reload_failing
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._received = Counter(
            "helpline_messages_received",
            "Customer messages received, by channel.",
            ["channel"],
            registry=registry,
        )
        self._answers = Counter(
            "helpline_answers", "Answers the bot gave from an article.", registry=registry
        )
        self._clarifications = Counter(
            "helpline_clarifications",
            "Questions back: the bot offered several articles.",
            registry=registry,
        )
        self._fallbacks = Counter(
            "helpline_fallbacks", "Times the bot said it was unsure.", registry=registry
        )
        self._handoffs = Counter(
            "helpline_handoffs", "Handoffs to people, by reason.", ["reason"], registry=registry
        )
        self._agent_replies = Counter(
            "helpline_agent_replies", "Messages agents wrote to customers.", registry=registry
        )
        self._delivery_failures = Counter(
            "helpline_delivery_failures",
            "Messages a channel refused or could not take, by channel.",
            ["channel"],
            registry=registry,
        )
        self._queue_length = Gauge(
            "helpline_queue_length",
            "Conversations waiting for people, by team.",
            ["team"],
            registry=registry,
        )
        self._oldest_wait = Gauge(
            "helpline_oldest_wait_seconds",
            "How long the customer waiting longest for people has waited, by team (0: none).",
            ["team"],
            registry=registry,
        )
        self._reload_failing_gauge = Gauge(
            "helpline_knowledge_reload_failing",
            "1 while the knowledge folder's last reload failed and older knowledge serves.",
            registry=registry,
        )
        self._wait = Gauge(
            "helpline_wait_estimate_seconds",
            "The expected wait of a customer joining the team's queue now (range bounds).",
            ["team", "bound"],
            registry=registry,
        )
        # A counter's labelled child, looked up once per channel: ``labels()`` costs four
        # times the increment (a lock and the labels' validation), at every message.
        self._received_in: dict[str, Counter] = {}

    # RuntimeObserver -------------------------------------------------------------------

    def message_received(self, channel: str) -> None:
        """Count a new customer message."""
        counter = self._received_in.get(channel)
        if counter is None:
            counter = self._received_in[channel] = self._received.labels(channel=channel)
        counter.inc()

    def message_stored(self, channel: str, message: Message) -> None:
        """Count an agent reply, or a bot answer, clarification or fallback."""
        if message.sender is SenderKind.AGENT:
            self._agent_replies.inc()
            return
        if message.sender is not SenderKind.BOT:
            return
        kind = MessageKind.of(message.meta)
        if kind is MessageKind.ANSWER:
            self._answers.inc()
        elif kind is MessageKind.CLARIFY:
            self._clarifications.inc()
        elif kind is MessageKind.FALLBACK:
            self._fallbacks.inc()

    def handoff_requested(self, reason: HandoffReason) -> None:
        """Count a handoff by its reason code."""
        self._handoffs.labels(reason=reason.value).inc()

    def delivery_failed(self, channel: str) -> None:
        """Count a failed delivery."""
        self._delivery_failures.labels(channel=channel).inc()

    # Scrape ----------------------------------------------------------------------------

    async def refresh(self, now: datetime | None = None) -> None:
        """Read the queue and the wait estimates into the gauges.

        One query for the queue, and one estimate per team with a queue or in the
        settings; teams that are gone from both are dropped from the output.
        """
        now = now or datetime.now(UTC)
        lengths: dict[str | None, int] = dict.fromkeys(self._teams, 0)
        oldest: dict[str | None, datetime] = {}
        for entry in await self._store.queue():
            team = entry.conversation.team
            lengths[team] = lengths.get(team, 0) + 1
            requested = entry.handoff.requested_at
            oldest[team] = min(oldest.get(team, requested), requested)
        self._queue_length.clear()
        self._oldest_wait.clear()
        self._wait.clear()
        if self._reload_failing is not None:
            self._reload_failing_gauge.set(1 if self._reload_failing() else 0)
        for team, length in lengths.items():
            label = team or NO_TEAM
            self._queue_length.labels(team=label).set(length)
            waited = (now - oldest[team]).total_seconds() if team in oldest else 0.0
            self._oldest_wait.labels(team=label).set(max(0.0, waited))
            estimate = await self._status.estimate(team, now, ahead=length)
            if estimate is not None:  # nobody on shift and none expected: no honest number
                self._wait.labels(team=label, bound="low").set(estimate.low_s)
                self._wait.labels(team=label, bound="high").set(estimate.high_s)

    async def exposition(self) -> bytes:
        """Everything, fresh, in the Prometheus text format (:data:`CONTENT_TYPE`)."""
        await self.refresh()
        return generate_latest(self.registry)
