"""The handoff part of a customer's turn: request it, give it to an agent at once or
queue it, and tell the customer who will reply and when (docs/architecture.md, "One
message's path", step 4).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import ACTION_HAND_OFF, ActionRunner, Utterance
from bot.runtime.desk import DeskActions
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.turn_state import Turn, run_action
from bot.settings.model import Routing
from handoff.model import Conversation, HandoffReason, MessageKind
from handoff.questions import STATED_WITH_THE_ASK
from handoff.routing import pick_team
from handoff.store.port import Store

if TYPE_CHECKING:
    from bot.desk.quote import WaitQuote
    from bot.desk.status import DeskStatus
    from bot.service.metrics import RuntimeObserver

log = logging.getLogger(__name__)


class Handover:
    """Hands a turn's conversation to people (:meth:`hand_off`)."""

    def __init__(
        self,
        *,
        store: Store,
        actions: ActionRunner,
        phrases: Phrases,
        feed: ChangeFeed,
        desk: DeskActions,
        status: DeskStatus,
        routing: Routing,
        metrics: RuntimeObserver | None = None,
        ask_email_after: timedelta | None = None,
    ) -> None:
        self._store = store
        self._actions = actions
        self._phrases = phrases
        self._feed = feed
        self._desk = desk
        self._status = status
        self._routing = routing
        self._metrics = metrics
        # Web customers are asked for an address (once) when closed or waiting this long;
        # None: replies are not mailed, so nobody is asked.
        self._ask_email_after = ask_email_after

    async def hand_off(
        self, turn: Turn, reason: HandoffReason, team: str | None
    ) -> list[Utterance]:
        """Request the handoff, give it to an agent at once or queue it, and say so.

        Args:
            turn: the turn that hands over; its ``question`` and ``handoff_detail`` are
                stored with the handoff, and its slots, ``assigned`` and ``quote`` are set.
            reason: why people should take over.
            team: the team of the question's article, if any (routing decides).

        Returns:
            The acknowledgement, then the expected wait and the e-mail question, if any.
        """
        conversation, message, language = turn.conversation, turn.message, turn.language
        team = pick_team(
            article_team=team,
            language=turn.slots.language,
            language_teams=self._routing.language_teams,
            default_team=self._routing.default_team,
        )
        await self._store.request_handoff(
            conversation.id,
            reason=reason,
            team=team,
            summary=turn.question or message.text,
            detail=turn.handoff_detail,
        )
        self._feed.publish(DESK)
        if self._metrics is not None:
            self._metrics.handoff_requested(reason)
        turn.slots.team_name = self._desk.team_label(team, language)
        log.info(
            "handoff conversation=%s reason=%s team=%s",
            conversation.id,
            reason,
            team,
            extra={"conversation_id": str(conversation.id)},
        )
        turn.assigned = await self._desk.assign_waiting(conversation.id)
        if turn.assigned is not None:
            # Someone has it at once: no queue talk; "Maria has joined" comes when she looks.
            ack = self._phrases.get("handoff_ack_assigned", language, team=turn.slots.team_name)
            return [Utterance(text=ack, meta={"kind": MessageKind.HANDOFF, "assigned": True})]
        position = await self._store.queue_position(conversation.id)
        turn.slots.queue_position = position or 1
        quote: WaitQuote | None = None
        if position is not None:
            # The team and the place were just stored and read: asking the store again
            # would cost the turn two more waits behind other conversations' store calls
            # when the service is busy. The quote is the turn's one figure: the
            # acknowledgement and the notices rendered after this use it too.
            quote = await self._status.quote_for(team, position, message.created_at)
            turn.quote = quote
            turn.slots.staffing = self._status.staffing(quote).value
            turn.slots.back_when = self._status.back_when(quote, language)
        result = await run_action(self._actions, ACTION_HAND_OFF, turn)
        status: list[Utterance] = []
        if quote is not None:
            status = await self._status.acknowledge(quote, language)
            promise = self._status.words.promise(quote)
            if promise is not None and quote.estimate is not None:
                await self._store.record_promise(
                    conversation.id,
                    low_s=promise[0],
                    high_s=promise[1],
                    point_s=round(quote.estimate.point_s),
                )
        ask = [] if quote is None else await self._ask_email(conversation, quote, language)
        return [*result.utterances, *status, *ask]

    async def _ask_email(
        self, conversation: Conversation, quote: WaitQuote, language: str
    ) -> list[Utterance]:
        """Ask a web customer for an e-mail address once, if the wait is long or the desk
        closed: a reply written after they left then reaches them (bot.desk.reply_mail)."""
        threshold = self._ask_email_after
        if threshold is None or conversation.channel != "web":
            return []
        estimate = quote.estimate
        long_wait = estimate is None or estimate.point_s >= threshold.total_seconds()
        if quote.open_now and not long_wait:
            return []
        if not await self._store.ask_for_address(conversation.customer_id):
            return []  # asked before: once is enough
        text = self._phrases.get(MessageKind.EMAIL_ASK, language)
        return [Utterance(text=text, meta={"kind": MessageKind.EMAIL_ASK})]


def stated_with_the_ask(said: Utterance) -> Utterance:
    """``said`` marked as handing over the question stated with the ask, if it is the
    handoff's acknowledgement."""
    if said.meta.get("kind") != MessageKind.HANDOFF:
        return said
    return replace(said, meta={**said.meta, STATED_WITH_THE_ASK: True})
