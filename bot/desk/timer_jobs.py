"""What each timer does when it fires, registered in one place (:meth:`DeskTimers.handlers`).

* ``notice_start``: queued customers in the notice's audience see it (once each);
* ``notice_end``: nothing to send (notices are read by their time window), logged;
* ``wait_update`` (a sweep, every minute): a queued customer hears their new wait when it
  changed materially, at most every ``wait_update_minutes``; the previous status message
  is edited where the channel can;
* ``inactivity`` (a sweep, every minute): a customer who has waited on a silent agent for
  ``agent_inactivity_minutes`` goes back to the queue, and is told;
* ``reply_mail`` (per conversation, after an agent's reply): the replies a web customer's
  chat did not receive go to their e-mail address (:mod:`bot.desk.reply_mail`);
* ``retention_purge`` (a sweep, daily): conversations closed more than ``retention_days``
  ago are erased.

The sweeps read the desk when they fire, so they need no hooks wherever a conversation is
queued, claimed, assigned or transferred, and a sweep that fires late (the service was
down) acts on how things are now. Each sweep re-arms itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.desk.reply_mail import ReplyMail
from bot.desk.status import STATUS_KINDS, DeskStatus, eta_range
from bot.desk.timer_runner import TimerHandler
from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import Utterance
from bot.errors import BotError
from bot.runtime.core import Runtime
from handoff.errors import HandoffError
from handoff.model import (
    Conversation,
    ConversationState,
    Message,
    MessageKind,
    Notice,
    SenderKind,
)
from handoff.notices import audience_of, changed_materially, text_in, used_placeholders
from handoff.store.port import Store
from handoff.timers import SWEEP, Timer, TimerKind

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)
RETENTION_EVERY = timedelta(days=1)


class DeskTimers:
    """The timer handlers of the desk.

    Args:
        runtime: sends messages and moves conversations.
        status: the desk's status sentences and intervals.
        phrases: the bot's sentences.
        retention: how long closed conversations are kept (None: for ever).
        default_language: for conversations whose language is unknown.
    """

    def __init__(
        self,
        *,
        runtime: Runtime,
        status: DeskStatus,
        phrases: Phrases,
        retention: timedelta | None = None,
        default_language: str = "en",
        announce: Callable[[str], Awaitable[None]] | None = None,
        reply_mail: ReplyMail | None = None,
    ) -> None:
        self._announce = announce
        self._reply_mail = reply_mail
        self._runtime = runtime
        self._store: Store = runtime.store
        self._status = status
        self._phrases = phrases
        self._retention = retention
        self._default_language = default_language

    @property
    def status(self) -> DeskStatus:
        """The desk's status sentences the timers tell queued customers."""
        return self._status

    def handlers(self) -> dict[TimerKind, TimerHandler]:
        """The one place timer kinds are bound to what they do."""
        return {
            TimerKind.NOTICE_START: self.notice_started,
            TimerKind.NOTICE_END: self.notice_ended,
            TimerKind.WAIT_UPDATE: self.wait_updates,
            TimerKind.INACTIVITY: self.inactivity,
            TimerKind.RETENTION_PURGE: self.retention_purge,
            TimerKind.REPLY_MAIL: self.reply_mail,
        }

    async def arm(self, now: datetime) -> None:
        """Arm the sweeps at start-up; a pending one keeps its time (it may be overdue)."""
        await self._store.schedule_timer(TimerKind.WAIT_UPDATE, SWEEP, now, if_absent=True)
        if self._status.agent_inactivity is not None:
            await self._store.schedule_timer(TimerKind.INACTIVITY, SWEEP, now, if_absent=True)
        if self._retention is not None:
            await self._store.schedule_timer(TimerKind.RETENTION_PURGE, SWEEP, now, if_absent=True)

    def _language(self, conversation: Conversation) -> str:
        return conversation.language or self._default_language

    # Notices ---------------------------------------------------------------------------

    async def notice_started(self, timer: Timer, now: datetime) -> None:
        """Show a notice that just started to the queued customers it is for."""
        notice = await self._store.get_notice(timer.notice_id)
        if not any(n.id == notice.id for n in await self._store.active_notices(now)):
            return  # ended (or moved) before it started
        await self._announce_notice(notice)
        audience = audience_of(notice)
        for entry in await self._store.queue(team=audience.team):
            conversation = entry.conversation
            if entry.customer.unreachable_at is not None:
                continue
            if not audience.includes(team=conversation.team, channel=conversation.channel):
                continue
            transcript = await self._store.transcript(conversation.id)
            if any(m.meta.get("notice_id") == notice.id for m in transcript):
                continue  # once per conversation
            language = self._language(conversation)
            text = await self._status.render(notice, conversation, now, language)
            if text:
                meta = {"kind": MessageKind.NOTICE, "notice_id": notice.id}
                await self._runtime.notify(conversation.id, Utterance(text=text, meta=meta))

    async def _announce_notice(self, notice: Notice) -> None:
        """Post a starting notice to the announcement channel, if one is configured.

        Only notices without per-conversation placeholders fit a public channel; the
        timer fires once, so the post is made once.
        """
        text = text_in(notice, self._default_language)
        if self._announce is None or text is None:
            return
        if used_placeholders(text):
            log.info("notice %s names placeholders; not posted to the channel", notice.id)
            return
        try:
            await self._announce(text)
        except BotError as exc:
            log.warning("notice %s could not be posted to the channel: %s", notice.id, exc)

    async def notice_ended(self, timer: Timer, now: datetime) -> None:
        """Notices are read by their time window; the end needs no message."""
        log.info("notice %s ended", timer.key)

    # Queued customers ------------------------------------------------------------------

    async def wait_updates(self, timer: Timer, now: datetime) -> None:
        """Give every queued customer due for one a wait update; re-arm the sweep."""
        await self._store.schedule_timer(TimerKind.WAIT_UPDATE, timer.key, now + SWEEP_EVERY)
        for entry in await self._store.queue():
            if entry.customer.unreachable_at is not None:
                continue  # the customer blocked us; updates would only fail
            await self.wait_update(entry.conversation, entry.handoff.requested_at, now)

    async def wait_update(
        self, conversation: Conversation, queued_at: datetime, now: datetime
    ) -> None:
        """Tell one queued customer their new wait if it is due and changed materially."""
        if not self._status.hours.is_open(conversation.team, now):
            return  # out of hours the customer was told when people are back
        previous = _last_status(await self._store.transcript(conversation.id))
        last_told = max(queued_at, previous.created_at if previous else queued_at)
        if now - last_told < self._status.wait_updates_every:
            return
        position = await self._store.queue_position(conversation.id)
        if position is None:
            return
        quote = await self._status.quote_for(conversation.team, position, now)
        estimate = quote.estimate
        if estimate is None or not changed_materially(_told(previous), eta_range(estimate)):
            return
        language = self._language(conversation)
        eta = self._status.eta_words(quote, language)
        if previous is not None and previous.meta.get("eta") == eta:
            return  # the same words again would be noise
        key = "wait_update_first" if position <= 1 else "wait_update"
        utterance = Utterance(
            text=self._phrases.get(key, language, position=position, eta=eta),
            meta={
                "kind": MessageKind.WAIT_UPDATE,
                "eta": eta,
                "eta_range": [estimate.low_s, estimate.high_s],
            },
        )
        await self._runtime.notify(conversation.id, utterance, replaces=previous)

    # Agents ----------------------------------------------------------------------------

    async def inactivity(self, timer: Timer, now: datetime) -> None:
        """Requeue every conversation whose customer waited on a silent agent too long."""
        limit = self._status.agent_inactivity
        if limit is None:
            return
        await self._store.schedule_timer(TimerKind.INACTIVITY, timer.key, now + SWEEP_EVERY)
        for agent in await self._store.list_agents():
            for conversation in await self._store.agent_conversations(agent.id):
                if conversation.state is ConversationState.AGENT:
                    await self._requeue_if_silent(conversation, agent.id, now, limit)

    async def _requeue_if_silent(
        self, conversation: Conversation, agent_id: int, now: datetime, limit: timedelta
    ) -> None:
        handoff = await self._store.current_handoff(conversation.id)
        if handoff is None or handoff.claimed_at is None:
            return
        since = waiting_since(await self._store.transcript(conversation.id), handoff.claimed_at)
        if since is None or now - since < limit:
            return
        try:
            await self._runtime.requeue_inactive(conversation.id, agent_id)
        except HandoffError:
            return  # the agent acted in the meantime
        silent = int((now - since).total_seconds() // 60)
        await self._store.audit(
            actor="system",
            action="inactivity_requeue",
            target=f"conversation:{conversation.id}",
            detail=f"agent:{agent_id} silent for {silent} min",
        )

    # Replies by e-mail ----------------------------------------------------------------

    async def reply_mail(self, timer: Timer, now: datetime) -> None:
        """Mail a conversation's replies its customer's chat did not receive."""
        if self._reply_mail is None:
            # Armed while mail was configured, fired after it was turned off.
            log.warning("reply mail for %s not sent: no SMTP server is configured", timer.key)
            return
        await self._reply_mail.send_replies(timer, now)

    # Retention -------------------------------------------------------------------------

    async def retention_purge(self, timer: Timer, now: datetime) -> None:
        """Erase conversations closed longer ago than the retention period; re-arm."""
        if self._retention is None:
            return
        await self._store.schedule_timer(
            TimerKind.RETENTION_PURGE, timer.key, now + RETENTION_EVERY
        )
        erased = await self._store.purge_closed_conversations(
            closed_before=now - self._retention, actor="system"
        )
        log.info("retention purge erased %d conversations", erased)


def _last_status(transcript: Sequence[Message]) -> Message | None:
    """The bot's latest status message (expected wait or wait update), if any."""
    for message in reversed(transcript):
        if message.sender is SenderKind.BOT and MessageKind.of(message.meta) in STATUS_KINDS:
            return message
    return None


def _told(previous: Message | None) -> tuple[float, float] | None:
    """The wait range a status message told the customer, if it carries one."""
    told = previous.meta.get("eta_range") if previous is not None else None
    if not isinstance(told, list) or len(told) != 2:
        return None
    return float(told[0]), float(told[1])


def waiting_since(transcript: Sequence[Message], claimed_at: datetime) -> datetime | None:
    """Since when the customer has waited for the owning agent, or None if they are not.

    The customer waits from the claim until the agent's first message, and from their
    first message after the agent's last one until the agent writes again.
    """
    # An internal note is not an answer: the customer still waits.
    last_agent = max(
        (
            m.created_at
            for m in transcript
            if m.sender is SenderKind.AGENT and not m.meta.get("internal")
        ),
        default=None,
    )
    if last_agent is None or last_agent < claimed_at:
        return claimed_at
    return min(
        (
            m.created_at
            for m in transcript
            if m.sender is SenderKind.CUSTOMER and m.created_at > last_agent
        ),
        default=None,
    )
