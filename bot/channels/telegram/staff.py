"""The optional Telegram staff group: a forum topic per handed-off conversation.

The topic mirrors the conversation once it is with people: the first message is the
handoff card with the transcript, then every message stored after it (the customer's,
the bot's, the agents' from the console, and the desk's "Maria has joined", transfers,
releases and resolutions). In the topic, registered agents (by Telegram user id) work the
conversation:

* ``/take`` claims it, ``/back`` puts it back in the queue, ``/done`` resolves it;
* ``/transfer LOGIN`` gives it to a colleague, ``/transfer team:ID`` to a team's queue;
* ``/note TEXT`` leaves an internal note in the transcript (colleagues see it in the topic
  and the console, the customer never does);
* any other text from the owning agent is relayed to the customer as the agent's reply.

Each of these needs an agent who may read the conversation (:mod:`handoff.reading`), as in
the console; the topic itself is seen by every member of the group (docs/deployment.md).

Teams can be kept out of the group (``telegram_staff_group = false``): every member sees
every topic, so their conversations get none, and one passed to such a team leaves its
topic with a last line.

The topic's title shows the status and the agent. A topic staff deleted is opened again
with the card and the transcript the first time something must be posted into it.

Posting into topics happens in one background task, in order: Telegram allows about 20
messages a minute into a group, and the customer must not wait for the staff's mirror.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime, tzinfo
from uuid import UUID

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.channels.telegram.delivery import TelegramDelivery
from bot.channels.telegram.formatting import FormattedText, split_formatted
from bot.channels.telegram.staff_card import card_text, topic_title, transcript_line
from bot.channels.telegram.updates import StaffMessage
from bot.errors import DeliveryFailed, MessageRejected
from bot.runtime.core import Runtime
from handoff.card import build_card, customer_label
from handoff.errors import (
    AgentUnavailable,
    AlreadyClaimed,
    HandoffError,
    IllegalTransition,
    NotFound,
    NotOwner,
    Refusal,
    StoreUnavailable,
    refusal_of,
)
from handoff.model import Agent, Conversation, ConversationState, Message, SenderKind
from handoff.reading import may_read
from handoff.store.port import Store

log = logging.getLogger(__name__)

#: Prefix of the external id of a reply an agent wrote in a topic: it is not mirrored back.
STAFF_REF = "staff-topic:"
#: Said in a topic whose conversation went to a team kept out of the group.
LEFT_FOR_HIDDEN_TEAM = (
    "Passed to a team that works outside this group; this topic is no longer updated."
)
#: What an agent is told in a topic when the desk refused their command, by what happened
#: to the conversation (the console's meanings; ``/take`` is how a topic claims).
REFUSALS = {
    Refusal.CLOSED: (
        "This conversation is closed already: the customer's next message starts a new one."
    ),
    Refusal.IN_THE_QUEUE: "This conversation is waiting in the queue: /take it first.",
    Refusal.WITH_THE_BOT: "This conversation is with the bot now: no agent has it.",
    Refusal.NOT_YOURS: "This conversation is another agent's, not yours.",
}
#: ... on ``/take`` of a conversation a colleague has taken (``{name}``), or they have already.
TAKEN_BY = "Already taken by {name}."
YOURS_ALREADY = "You have this conversation already."
#: ... when the conversation was erased meanwhile.
NO_SUCH_CONVERSATION = "This conversation no longer exists."
#: ... when the colleague of ``/transfer LOGIN`` cannot take it (deactivated meanwhile).
COLLEAGUE_CANNOT = "That colleague cannot take it."
#: ... when a reply has no text left once control characters are removed.
WRITE_FIRST = "Write a reply first."
#: ... for any other refusal (logged with its reason).
NOT_DONE = "That could not be done."
_STOP_GRACE_S = 5.0  # how long stopping waits for posts still queued

Job = Callable[[], Awaitable[None]]


class StaffGroup:
    """Mirrors handed-off conversations into forum topics of one staff group, and back.

    Args:
        bot: PTB's bot.
        chat_id: the staff group (a forum supergroup; the bot must manage topics).
        runtime: performs the agents' actions, so the customer is told as from the console.
        store: conversations, agents and topics.
        delivery: sends within Telegram's limits.
        teams: the desk's team ids, the targets of ``/transfer team:ID``.
        read_all_teams: every agent may act on every team's conversations.
        hidden_teams: teams whose conversations are kept out of the group (its members
            all see every topic); one passed to such a team leaves its topic.
    """

    def __init__(
        self,
        *,
        bot: Bot,
        chat_id: int,
        runtime: Runtime,
        store: Store,
        delivery: TelegramDelivery,
        teams: Collection[str] = (),
        read_all_teams: bool = False,
        hidden_teams: Collection[str] = (),
        time_zone: tzinfo = UTC,
    ) -> None:
        self._time_zone = time_zone
        self._bot = bot
        self.chat_id = chat_id
        self._runtime = runtime
        self._store = store
        self._delivery = delivery
        self._teams = frozenset(teams)
        self._read_all_teams = read_all_teams
        self._hidden_teams = frozenset(hidden_teams)
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._titles: dict[int, str] = {}  # topic -> the name it has, to rename only on change

    # Lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start posting into topics (the bot must be initialized)."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="telegram-staff-group")

    async def stop(self) -> None:
        """Post what is queued (for a few seconds at most), then stop."""
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_STOP_GRACE_S):
                await self.settled()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def settled(self) -> None:
        """Return once everything queued so far is posted (or failed and was logged).

        :meth:`stop` waits on it for a few seconds; a test waits on it before reading what
        the group got, as posting runs in the background.
        """
        await self._jobs.join()

    def _enqueue(self, job: Job) -> None:
        if self._worker is None:
            log.debug("telegram staff group not started: a topic update is skipped")
            return
        self._jobs.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except Exception:
                log.exception("telegram staff group: a topic was not updated")
            finally:
                self._jobs.task_done()

    # The conversation, mirrored -----------------------------------------------------

    async def message_stored(self, conversation_id: UUID, message: Message) -> None:
        """Mirror a stored message into the conversation's topic (the runtime's listener).

        A conversation gets a topic once it is with people. After that, the topic also
        hears the desk's system messages (handed back, resolved) and is renamed; what the
        customer and the bot say to each other afterwards stays out of it.
        """
        from_topic = (message.external_id or "").startswith(STAFF_REF)
        if message.sender is SenderKind.AGENT and from_topic:
            return  # written in the topic: it is there already
        conversation = await self._store.get_conversation(conversation_id)
        if conversation.team in self._hidden_teams:
            if await self._store.telegram_topic(conversation_id) is not None:
                self._enqueue(functools.partial(self._leave, conversation_id))
            return
        with_people = conversation.state is not ConversationState.BOT
        if not with_people and await self._store.telegram_topic(conversation_id) is None:
            return
        relay = with_people or message.sender is SenderKind.SYSTEM
        self._enqueue(functools.partial(self._mirror, conversation_id, message, relay=relay))

    async def _mirror(self, conversation_id: UUID, message: Message, *, relay: bool) -> None:
        conversation = await self._store.get_conversation(conversation_id)
        if conversation.team in self._hidden_teams:
            return  # passed on meanwhile; the queued _leave tells the topic
        topic = await self._store.telegram_topic(conversation_id)
        if topic is None:
            await self._open_topic(conversation)  # its transcript ends with this message
            return
        if relay:
            await self._post(conversation, topic, transcript_line(message))
        await self.refresh_title(conversation_id)

    async def _leave(self, conversation_id: UUID) -> None:
        """The conversation went to a team kept out of the group: say so in its topic,
        then no longer update the topic or act on commands written in it."""
        topic = await self._store.telegram_topic(conversation_id)
        if topic is None:
            return
        await self._send(topic, LEFT_FOR_HIDDEN_TEAM)
        await self._store.set_telegram_topic(conversation_id, None)
        self._titles.pop(topic, None)

    async def refresh_title(self, conversation_id: UUID) -> None:
        """Rename the conversation's topic if its status or agent changed."""
        topic = await self._store.telegram_topic(conversation_id)
        if topic is None:
            return
        title = await self._title(await self._store.get_conversation(conversation_id))
        if self._titles.get(topic) == title:
            return
        try:
            await self._bot.edit_forum_topic(self.chat_id, topic, name=title)
        except BadRequest as exc:
            log.info("telegram: topic %s not renamed: %s", topic, exc.message)
            return
        self._titles[topic] = title

    # Staff side ---------------------------------------------------------------------

    async def receive(self, staff_message: StaffMessage) -> None:
        """Act on a message in the staff group.

        Raises:
            StoreUnavailable: the database is down; Telegram must send the update again.
        """
        if staff_message.thread_id is None:
            return  # the general topic is the staff's own chat
        conversation_id = await self._store.conversation_for_topic(staff_message.thread_id)
        if conversation_id is None:
            return
        thread = staff_message.thread_id
        agent = await self._store.agent_for_telegram_user(staff_message.user_id)
        if agent is None:
            self._say(thread, "Only registered agents can act here.")
            return
        command, _, rest = staff_message.text.partition(" ")
        command = command.split("@", 1)[0].lower()
        try:
            # Every command follows team-scoped reading, as in the console: an agent does
            # not work (or write into) a conversation they may not read.
            conversation = await self._store.get_conversation(conversation_id)
            if not may_read(agent, conversation, all_teams=self._read_all_teams):
                raise _Refused("This conversation is another team's.")
            if command == "/take":
                await self._runtime.claim(conversation_id, agent.id)
            elif command == "/back":
                await self._runtime.release(conversation_id, agent.id)
            elif command == "/done":
                await self._runtime.resolve(conversation_id, agent.id)
            elif command == "/transfer":
                await self._transfer(conversation_id, agent, rest.strip())
            elif command == "/note":
                if not rest.strip():
                    raise _Refused("Write the note after /note.")
                # Into the transcript: the console shows it, and the mirror posts it here.
                await self._runtime.add_note(conversation_id, agent.id, rest.strip())
            else:
                await self._runtime.agent_reply(
                    conversation_id,
                    agent.id,
                    staff_message.text,
                    external_id=STAFF_REF + staff_message.external_id,
                )
        except StoreUnavailable:
            raise
        except (HandoffError, MessageRejected, _Refused) as exc:
            self._say(thread, await self._refusal(exc, agent))

    async def _refusal(self, exc: HandoffError | MessageRejected | _Refused, agent: Agent) -> str:
        """What an agent is told in the topic when their command was refused: what happened,
        in the console's terms, never an error's own text (it names internal ids)."""
        if isinstance(exc, _Refused):
            return str(exc)
        if isinstance(exc, MessageRejected):
            return WRITE_FIRST
        if isinstance(exc, AlreadyClaimed) and not exc.closed and exc.owner_agent_id is not None:
            if exc.owner_agent_id == agent.id:
                return YOURS_ALREADY
            return TAKEN_BY.format(name=(await self._store.get_agent(exc.owner_agent_id)).name)
        if isinstance(exc, NotOwner | IllegalTransition):
            return REFUSALS[refusal_of(exc)]
        if isinstance(exc, AgentUnavailable) or (isinstance(exc, NotFound) and exc.kind == "agent"):
            return COLLEAGUE_CANNOT
        if isinstance(exc, NotFound) and exc.kind == "conversation":
            return NO_SUCH_CONVERSATION
        log.warning("telegram staff group: a command was refused: %s", exc)
        return NOT_DONE

    async def _transfer(self, conversation_id: UUID, agent: Agent, target: str) -> None:
        """``/transfer LOGIN`` or ``/transfer team:ID``. Raises _Refused or HandoffError."""
        kind, _, team = target.partition(":")
        if kind == "team":
            if team not in self._teams:
                known = ", ".join(sorted(self._teams)) or "none"
                raise _Refused(f"There is no team {team!r}. The teams are: {known}.")
            await self._runtime.transfer_to_team(conversation_id, agent.id, team)
            return
        if not target:
            raise _Refused("Write /transfer and a colleague's login, or /transfer team:ID.")
        colleague = next((a for a in await self._store.list_agents() if a.login == target), None)
        if colleague is None or not colleague.active:
            raise _Refused(f"No colleague has the login {target!r}.")
        await self._runtime.transfer_to_agent(conversation_id, agent.id, colleague.id)

    def _say(self, topic: int, text: str) -> None:
        """Post staff-only text into a topic, in order with the mirrored messages."""
        self._enqueue(functools.partial(self._send, topic, text))

    # Topics -------------------------------------------------------------------------

    async def _title(self, conversation: Conversation) -> str:
        customer = await self._store.get_customer(conversation.customer_id)
        agent = None
        if conversation.owner_agent_id is not None:
            agent = (await self._store.get_agent(conversation.owner_agent_id)).name
        return topic_title(conversation, customer_label(customer), agent)

    async def _open_topic(self, conversation: Conversation) -> int:
        """Open a topic for the conversation and post its handoff card and transcript."""
        title = await self._title(conversation)
        created = await self._bot.create_forum_topic(self.chat_id, title)
        topic = created.message_thread_id
        self._titles[topic] = title
        await self._store.set_telegram_topic(conversation.id, topic)
        card = build_card(
            conversation=conversation,
            customer=await self._store.get_customer(conversation.customer_id),
            handoff=await self._store.current_handoff(conversation.id),
            transcript=await self._store.transcript(conversation.id),
            feedback=await self._store.feedback(conversation.id),
            now=datetime.now(UTC),
        )
        await self._send(topic, card_text(card, time_zone=self._time_zone))
        return topic

    async def _post(self, conversation: Conversation, topic: int, text: FormattedText) -> None:
        """Post into the topic; reopen it (card and transcript) when staff deleted it."""
        try:
            await self._send(topic, text, strict=True)
        except _TopicGone:
            log.info("telegram: topic %s was deleted; opening it again", topic)
            self._titles.pop(topic, None)
            await self._store.set_telegram_topic(conversation.id, None)
            await self._open_topic(conversation)

    async def _send(self, topic: int, text: str | FormattedText, *, strict: bool = False) -> None:
        formatted = FormattedText(text) if isinstance(text, str) else text
        for piece in split_formatted(formatted):
            try:
                await self._delivery.send(self.chat_id, piece, thread_id=topic)
            except DeliveryFailed as exc:
                if strict and "thread not found" in exc.reason.lower():
                    raise _TopicGone from exc
                log.warning("telegram staff group: %s", exc.reason)
            except TelegramError as exc:  # defensive: send translates these already
                log.warning("telegram staff group: %s", exc.message)


class _Refused(Exception):
    """A staff command that cannot be done as written; the message says why."""


class _TopicGone(Exception):
    """The topic was deleted in Telegram."""
