"""The optional Telegram staff group: a forum topic per handed-off conversation.

Customer messages of a queued or taken conversation are copied into its topic; in the
topic, registered agents (by Telegram user id) work the conversation:

* ``/take`` claims it, ``/back`` puts it back in the queue, ``/done`` resolves it;
* ``/note TEXT`` leaves a note for colleagues in the topic only (never to the customer);
* any other text from the owning agent is relayed to the customer as the agent's reply.

The topic's title shows the status and the agent. A topic staff deleted is opened again
with the card and the transcript the first time something must be posted into it.
"""

from __future__ import annotations

import logging
from uuid import UUID

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.errors import DeliveryFailed, MessageRejected
from bot.runtime import Runtime
from bot.telegram.delivery import TelegramDelivery
from bot.telegram.formatting import FormattedText, split_text
from bot.telegram.updates import StaffMessage
from handoff.errors import HandoffError
from handoff.model import Conversation, ConversationState, Message, SenderKind
from handoff.store.port import Store

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 128  # Telegram's limit for a forum topic name
_TRANSCRIPT_TAIL = 30  # messages copied into a (re)opened topic
_SENDER_LABEL = {
    SenderKind.CUSTOMER: "Customer",
    SenderKind.BOT: "Bot",
    SenderKind.SYSTEM: "System",
}


def topic_title(conversation: Conversation, customer_name: str, agent_name: str | None) -> str:
    """A topic's name: status, customer and (when taken) agent."""
    status = {
        ConversationState.QUEUED: "Waiting",
        ConversationState.AGENT: f"With {agent_name or 'agent'}",
        ConversationState.BOT: "Resolved" if conversation.closed_at else "With the bot",
    }[conversation.state]
    return f"[{status}] {customer_name}"[:MAX_TITLE_CHARS]


def transcript_line(message: Message) -> str:
    """One transcript message as it appears in a topic."""
    who = message.agent_name if message.sender is SenderKind.AGENT else None
    label = who or _SENDER_LABEL.get(message.sender, message.sender.value)
    text = message.edited_text or message.text
    edited = " (edited)" if message.edited_text is not None else ""
    return f"{label}{edited}: {text}"


class StaffGroup:
    """Relays handed-off conversations to and from forum topics of one staff group.

    Args:
        bot: PTB's bot.
        chat_id: the staff group (a forum supergroup; the bot must manage topics).
        runtime: performs the agents' actions, so the customer is told as from the console.
        store: conversations, agents and topics.
        delivery: sends within Telegram's limits.
    """

    def __init__(
        self,
        *,
        bot: Bot,
        chat_id: int,
        runtime: Runtime,
        store: Store,
        delivery: TelegramDelivery,
    ) -> None:
        self._bot = bot
        self.chat_id = chat_id
        self._runtime = runtime
        self._store = store
        self._delivery = delivery

    # Customer side ------------------------------------------------------------------

    async def customer_wrote(self, conversation_id: UUID, message: Message) -> None:
        """Copy a customer's message into the topic once the conversation is with people."""
        conversation = await self._store.get_conversation(conversation_id)
        if conversation.state is ConversationState.BOT:
            return
        topic, created = await self._topic(conversation)
        if not created:  # a new topic already shows the transcript, this message included
            await self._post(conversation, topic, transcript_line(message))

    # Staff side ---------------------------------------------------------------------

    async def receive(self, staff_message: StaffMessage) -> None:
        """Act on a message in the staff group."""
        if staff_message.thread_id is None:
            return  # the general topic is the staff's own chat
        conversation_id = await self._store.conversation_for_topic(staff_message.thread_id)
        if conversation_id is None:
            return
        agent = await self._store.agent_for_telegram_user(staff_message.user_id)
        thread = staff_message.thread_id
        if agent is None:
            await self._say(thread, "Only registered agents can act here.")
            return
        command, _, rest = staff_message.text.partition(" ")
        command = command.split("@", 1)[0].lower()
        try:
            if command == "/take":
                await self._runtime.claim(conversation_id, agent.id)
            elif command == "/back":
                await self._runtime.release(conversation_id, agent.id)
            elif command == "/done":
                await self._runtime.resolve(conversation_id, agent.id)
            elif command == "/note":
                await self._say(thread, f"Note from {agent.name}: {rest.strip()}")
                return
            else:
                await self._runtime.agent_reply(
                    conversation_id,
                    agent.id,
                    staff_message.text,
                    external_id=staff_message.external_id,
                )
                return
        except (HandoffError, MessageRejected) as exc:
            await self._say(thread, f"Not done: {exc}")
            return
        await self.refresh_title(conversation_id)

    async def refresh_title(self, conversation_id: UUID) -> None:
        """Rename the conversation's topic after its status or agent changed."""
        conversation = await self._store.get_conversation(conversation_id)
        topic = await self._store.telegram_topic(conversation_id)
        if topic is None:
            return
        try:
            await self._bot.edit_forum_topic(
                self.chat_id, topic, name=await self._title(conversation)
            )
        except BadRequest as exc:
            log.info("telegram: topic %s not renamed: %s", topic, exc.message)

    # Topics -------------------------------------------------------------------------

    async def _title(self, conversation: Conversation) -> str:
        customer = await self._store.get_customer(conversation.customer_id)
        agent = None
        if conversation.owner_agent_id is not None:
            agent = (await self._store.get_agent(conversation.owner_agent_id)).name
        name = customer.display_name or f"customer {customer.id}"
        return topic_title(conversation, name, agent)

    async def _topic(self, conversation: Conversation) -> tuple[int, bool]:
        """The conversation's topic, opened (with card and transcript) when missing."""
        topic = await self._store.telegram_topic(conversation.id)
        if topic is not None:
            return topic, False
        return await self._open_topic(conversation), True

    async def _open_topic(self, conversation: Conversation) -> int:
        created = await self._bot.create_forum_topic(self.chat_id, await self._title(conversation))
        topic = created.message_thread_id
        await self._store.set_telegram_topic(conversation.id, topic)
        handoff = await self._store.current_handoff(conversation.id)
        card = [f"Conversation {conversation.id}"]
        if handoff is not None:
            card.append(f"Reason: {handoff.reason.value}; team: {handoff.team or '-'}")
        card.append("Reply here to answer; /take, /back, /done, /note TEXT.")
        history = (await self._store.transcript(conversation.id))[-_TRANSCRIPT_TAIL:]
        text = "\n".join([*card, "", *(transcript_line(m) for m in history)])
        await self._send(topic, text)
        return topic

    async def _post(self, conversation: Conversation, topic: int, text: str) -> None:
        """Post into the topic; reopen it (card and transcript) when staff deleted it."""
        try:
            await self._send(topic, text, strict=True)
        except _TopicGone:
            await self._store.set_telegram_topic(conversation.id, None)
            await self._open_topic(conversation)

    async def _say(self, topic: int, text: str) -> None:
        await self._send(topic, text)

    async def _send(self, topic: int, text: str, *, strict: bool = False) -> None:
        for piece in split_text(text):
            try:
                await self._delivery.send(self.chat_id, FormattedText(piece), thread_id=topic)
            except DeliveryFailed as exc:
                if strict and "thread not found" in exc.reason.lower():
                    raise _TopicGone from exc
                log.warning("telegram staff group: %s", exc.reason)
            except TelegramError as exc:  # defensive: send translates these already
                log.warning("telegram staff group: %s", exc.message)


class _TopicGone(Exception):
    """The topic was deleted in Telegram."""
