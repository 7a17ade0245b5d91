"""The runtime's :class:`~bot.runtime.core.Delivery` for Telegram: send a stored message to a chat.

What each Telegram error means here:

* ``RetryAfter``: Telegram's flood control; wait as told and try again, a bounded number
  of times (a wait longer than ``max_wait_s`` fails the delivery instead of blocking).
* ``BadRequest``: the request itself is wrong and would fail again, so it is never retried.
  The one exception is rejected formatting ("can't parse entities"), which is sent once
  more as plain text.
* ``Forbidden``: the user blocked the bot (or deleted their account); the customer is
  flagged unreachable so agents see it, and the delivery fails.
* ``ChatMigrated``: a group became a supergroup; the customer's chat id is moved and the
  message is sent to the new chat.
* ``TimedOut``: Telegram may or may not have sent the message, so it is not retried (a
  second copy is worse than a recorded failure the agents can see).
* other network errors: nothing reached Telegram; retried like ``RetryAfter``.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntity
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.formatting import (
    Entity,
    FormattedText,
    markdown_to_telegram,
    split_formatted,
    utf16_len,
)
from bot.channels.telegram.limits import RateLimiter
from bot.errors import DeliveryFailed
from handoff.attachments import ONLY_FILES, AttachmentRef, is_image, refs_of
from handoff.errors import NotFound
from handoff.model import CHANNEL_REF, Customer, Message, SenderKind
from handoff.store.port import Store

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Telegram allows 1-64 bytes of callback data; longer payloads travel as a reference to
# the stored message's button, resolved when the button is pressed.
MAX_CALLBACK_BYTES = 64
BUTTON_REF_PREFIX = "#b:"
_NETWORK_BACKOFF_S = 0.5


def callback_data(message: Message, index: int) -> str:
    """What Telegram sends back when the message's ``index``-th button is pressed."""
    payload = message.buttons[index].payload
    if 0 < len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
        return payload
    return f"{BUTTON_REF_PREFIX}{message.id}:{index}"


def render(message: Message) -> FormattedText:
    """The text Telegram shows: bot replies and agents' messages are Markdown, the rest plain.

    An agent's message starts with the agent's name in bold, so the customer always sees
    who is writing.
    """
    if message.sender is SenderKind.BOT:
        return markdown_to_telegram(message.text)
    if message.sender is SenderKind.AGENT:
        body = markdown_to_telegram(message.text)
        if not message.agent_name:
            return body
        prefix = f"{message.agent_name}: "
        shift = utf16_len(prefix)
        moved = tuple(replace(e, offset=e.offset + shift) for e in body.entities)
        bold = Entity("bold", 0, shift - 1)
        return FormattedText(prefix + body.text, (bold, *moved))
    return FormattedText(message.text)


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    """The message's buttons as an inline keyboard, one button a row."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.title, callback_data=callback_data(message, index))]
            for index, button in enumerate(message.buttons)
        ]
    )


def to_entities(formatted: FormattedText) -> list[MessageEntity]:
    """Our entities as PTB's."""
    return [
        MessageEntity(e.kind, e.offset, e.length, url=e.url, language=e.language)
        for e in formatted.entities
    ]


def retry_after_s(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds.

    PTB 22 warns that ``retry_after`` will become a timedelta; read it either way without
    the warning (our tests turn warnings into errors).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramDelivery:
    """Sends stored messages to Telegram chats within Telegram's limits.

    Args:
        bot: PTB's bot (of the channel's ``Application``).
        store: to flag unreachable customers and move migrated chats.
        limiter: spaces the sends out.
        max_retries: further attempts after a ``RetryAfter`` or a network error.
        max_wait_s: the longest ``RetryAfter`` worth waiting for inside a delivery.
        on_unreachable: called after a customer was flagged unreachable (e.g. to cancel
            the conversation's timers).
    """

    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        limiter: RateLimiter,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        on_unreachable: Callable[[Customer], Awaitable[None]] | None = None,
    ) -> None:
        self._bot = bot
        self._store = store
        self._limiter = limiter
        self._max_retries = max_retries
        self._max_wait_s = max_wait_s
        self._on_unreachable = on_unreachable

    async def deliver(self, customer: Customer, message: Message) -> None:
        """Send ``message`` (see :meth:`push`) and record where it landed.

        Raises:
            DeliveryFailed: Telegram refused the message or kept failing.
        """
        ref = await self.push(customer, message)
        if ref is not None:
            # A later status update can then edit it in place instead of adding a message.
            await self._store.record_channel_ref(message.id, ref)

    async def push(self, customer: Customer, message: Message) -> str | None:
        """Send ``message`` to the customer's chat, split at Telegram's length limit.

        The buttons go with the last piece, so they sit under the whole answer.

        Returns:
            Where the (last piece of the) message landed, ``chat:message``; None when
            only files went.

        Raises:
            DeliveryFailed: Telegram refused the message or kept failing.
        """
        chat_id = int(customer.external_id)
        only_files = bool(message.meta.get(ONLY_FILES))
        pieces = [] if only_files else split_formatted(render(message))
        markup = keyboard(message)
        sent_id: int | None = None
        for number, piece in enumerate(pieces, start=1):
            if not piece.text.strip():
                continue  # Telegram refuses empty text; whitespace adds nothing
            last = number == len(pieces)
            chat_id, sent_id = await self.send(
                chat_id, piece, markup=markup if last else None, customer=customer
            )
        for ref in refs_of(message.meta):
            caption = message.agent_name if only_files and message.agent_name else None
            await self._send_file(chat_id, ref, caption=caption)
        return None if sent_id is None else f"{chat_id}:{sent_id}"

    async def _send_file(self, chat_id: int, ref: AttachmentRef, *, caption: str | None) -> None:
        """Send a kept file: a picture as a photo, a PDF as a document.

        Raises:
            DeliveryFailed: the file is gone, or Telegram refused it.
        """
        try:
            stored = await self._store.get_attachment(ref.id)
        except NotFound as exc:
            raise DeliveryFailed(CHANNEL, f"file {ref.name} is no longer kept") from exc
        await self._limiter.wait(chat_id)
        try:
            if is_image(ref.content_type):
                await self._bot.send_photo(chat_id, photo=stored.data, caption=caption)
            else:
                document = InputFile(stored.data, filename=ref.name)
                await self._bot.send_document(chat_id, document=document, caption=caption)
        except TelegramError as exc:
            raise DeliveryFailed(CHANNEL, f"file {ref.name}: {exc.message}") from exc

    async def edit(self, customer: Customer, previous: Message, message: Message) -> None:
        """Show ``message`` in place of ``previous`` (a status update replacing the last one).

        Falls back to sending a new message when ``previous`` was never delivered here,
        is too long to edit in place, or Telegram refuses the edit (too old, deleted).

        Raises:
            DeliveryFailed: Telegram refused the message or kept failing.
        """
        ref = previous.meta.get(CHANNEL_REF)
        pieces = split_formatted(render(message))
        if not isinstance(ref, str) or ":" not in ref or len(pieces) != 1:
            await self.deliver(customer, message)
            return
        chat_text, _, message_text = ref.partition(":")
        chat_id, message_id = int(chat_text), int(message_text)
        piece = pieces[0]
        await self._limiter.wait(chat_id)
        try:
            await self._bot.edit_message_text(
                piece.text,
                chat_id=chat_id,
                message_id=message_id,
                entities=to_entities(piece) or None,
                reply_markup=keyboard(message),
            )
        except (BadRequest, RetryAfter) as exc:
            log.info("telegram refused an edit (%s); sending a new message", exc)
            await self.deliver(customer, message)
            return
        except Forbidden as exc:
            await self._store.set_unreachable(customer.id, True)
            raise DeliveryFailed(CHANNEL, f"unreachable: {exc.message}") from exc
        except TelegramError as exc:
            raise DeliveryFailed(CHANNEL, exc.message) from exc
        await self._store.record_channel_ref(message.id, ref)

    async def send(
        self,
        chat_id: int,
        piece: FormattedText,
        *,
        markup: InlineKeyboardMarkup | None = None,
        customer: Customer | None = None,
        thread_id: int | None = None,
    ) -> tuple[int, int]:
        """Send one piece (at most 4096 UTF-16 units).

        Returns:
            The chat id it went to (it moves when a group migrated) and Telegram's id of
            the sent message.

        Raises:
            DeliveryFailed: Telegram refused the message or kept failing.
        """
        entities: list[MessageEntity] | None = to_entities(piece) or None
        attempt = 0
        while True:
            await self._limiter.wait(chat_id)
            try:
                sent = await self._bot.send_message(
                    chat_id,
                    piece.text,
                    entities=entities,
                    reply_markup=markup,
                    message_thread_id=thread_id,
                )
                return chat_id, sent.message_id
            except RetryAfter as exc:
                wait = retry_after_s(exc)
                if attempt >= self._max_retries or wait > self._max_wait_s:
                    raise DeliveryFailed(CHANNEL, f"flood control: retry after {wait:g}s") from exc
                log.info("telegram flood control: waiting %.1fs (chat %s)", wait, chat_id)
                await asyncio.sleep(wait)
            except BadRequest as exc:
                if entities is not None and "entit" in exc.message.lower():
                    log.warning("telegram refused the formatting (%s); sending plain", exc)
                    entities = None
                    continue
                raise DeliveryFailed(CHANNEL, f"bad request: {exc.message}") from exc
            except Forbidden as exc:
                if customer is not None:
                    await self._store.set_unreachable(customer.id, True)
                    if self._on_unreachable is not None:
                        await self._on_unreachable(customer)
                raise DeliveryFailed(CHANNEL, f"unreachable: {exc.message}") from exc
            except ChatMigrated as exc:
                if customer is not None:
                    await self._store.move_customer(customer.id, str(exc.new_chat_id))
                log.info("telegram chat %s moved to %s", chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
            except TimedOut as exc:
                raise DeliveryFailed(
                    CHANNEL, "timed out; the message may not have arrived"
                ) from exc
            except NetworkError as exc:
                if attempt >= self._max_retries:
                    raise DeliveryFailed(CHANNEL, f"network: {exc.message}") from exc
                await asyncio.sleep(_NETWORK_BACKOFF_S * 2**attempt)
            except TelegramError as exc:
                raise DeliveryFailed(CHANNEL, exc.message) from exc
            attempt += 1
