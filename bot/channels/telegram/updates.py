"""Telegram updates as channel-agnostic values: the only place that reads a PTB ``Update``.

Every optional field of an update may be missing (edited messages have no
``update.message``, inaccessible messages no text), so each is checked; an update this
module does not understand becomes None and is acknowledged without effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, InlineKeyboardMarkup, Message, Update

from bot.runtime.incoming import IncomingMessage
from handoff import payloads

CHANNEL = "telegram"


# Message contents the bot cannot read; the customer gets a polite text-only note.
MEDIA_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "story",
)


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A photo or document a customer sent: fetched from Telegram before it is kept.

    Attributes:
        file_id: Telegram's id of the file, for ``getFile``.
        name: the file's name (photos have none; they are JPEG).
        size: its size in bytes, when Telegram says.
        caption: what the customer wrote with it.
    """

    file_id: str
    name: str
    size: int | None
    caption: str


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """A customer wrote (or sent something the bot cannot read, as a command).

    ``file`` is a photo or document that came with it; ``incoming`` then says what to do
    when the file cannot be kept (the bot explains that it reads text).
    """

    incoming: IncomingMessage
    file: IncomingFile | None = None


@dataclass(frozen=True, slots=True)
class CustomerEdit:
    """A customer edited a message they sent earlier.

    Attributes:
        sender_id: the customer's chat id.
        reference: the edited message, as :func:`message_reference` names it.
        text: the new text.
    """

    sender_id: str
    reference: str
    text: str


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A customer pressed an inline button; ``incoming.payload`` is its callback data."""

    incoming: IncomingMessage
    callback_id: str


@dataclass(frozen=True, slots=True)
class StaffMessage:
    """Someone wrote in the staff group.

    Attributes:
        external_id: the update's stable id (for idempotent relaying).
        user_id: the writer's Telegram user id (only registered agents may act).
        thread_id: the forum topic, None in the group's general topic.
        text: what they wrote.
    """

    external_id: str
    user_id: int
    thread_id: int | None
    text: str


Inbound = CustomerMessage | CustomerEdit | ButtonPress | StaffMessage


def external_id(update: Update) -> str:
    """The stable id of an update: Telegram redelivers an update with the same id."""
    return f"{CHANNEL}:{update.update_id}"


def message_reference(chat_id: int, message_id: int) -> str:
    """How a customer's Telegram message is named for later edits."""
    return f"{chat_id}:{message_id}"


def translate(update: Update, *, staff_chat_id: int | None = None) -> Inbound | None:
    """Turn one update into what Helpline does with it; None when there is nothing to do."""
    if update.callback_query is not None:
        return _button_press(update)
    if update.edited_message is not None:
        return _edit(update.edited_message)
    message = update.message
    if message is None:
        return None
    if staff_chat_id is not None and message.chat.id == staff_chat_id:
        return _staff(update, message)
    if message.chat.type != Chat.PRIVATE:
        return None  # customers talk to the bot in private chats only
    return _customer_message(update, message)


def _text(message: Message) -> str:
    return (message.text or message.caption or "").strip()


def _media_kind(message: Message) -> str | None:
    return next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), None)


def _file(message: Message) -> IncomingFile | None:
    caption = _text(message)
    if message.photo:
        largest = message.photo[-1]  # Telegram lists the sizes smallest first
        return IncomingFile(largest.file_id, "photo.jpg", largest.file_size, caption)
    document = message.document
    if document is not None:
        name = document.file_name or "document"
        return IncomingFile(document.file_id, name, document.file_size, caption)
    return None


def _customer_message(update: Update, message: Message) -> CustomerMessage | None:
    text = _text(message)
    payload = payloads.typed_command(text)
    if not text:
        kind = _media_kind(message)
        if kind is None:
            return None  # a service message (pinned, chat settings...): nothing was said
        text, payload = f"[{kind}]", payloads.UNSUPPORTED
    user = message.from_user
    return CustomerMessage(
        IncomingMessage(
            channel=CHANNEL,
            sender_id=str(message.chat.id),
            external_id=external_id(update),
            text=text,
            display_name=user.full_name if user is not None else None,
            payload=payload,
            reference=message_reference(message.chat.id, message.message_id),
        ),
        file=_file(message),
    )


def _edit(message: Message) -> CustomerEdit | None:
    text = _text(message)
    if message.chat.type != Chat.PRIVATE or not text:
        return None
    return CustomerEdit(
        sender_id=str(message.chat.id),
        reference=message_reference(message.chat.id, message.message_id),
        text=text,
    )


def _button_title(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _button_press(update: Update) -> ButtonPress | None:
    query = update.callback_query
    if query is None or not query.data:
        return None
    shown = query.message
    if shown is not None and shown.chat.type != Chat.PRIVATE:
        return None
    chat_id = shown.chat.id if shown is not None else query.from_user.id
    markup = shown.reply_markup if isinstance(shown, Message) else None
    title = _button_title(markup, query.data) or query.data
    return ButtonPress(
        IncomingMessage(
            channel=CHANNEL,
            sender_id=str(chat_id),
            external_id=external_id(update),
            text=title,
            display_name=query.from_user.full_name,
            payload=query.data,
        ),
        callback_id=query.id,
    )


def _staff(update: Update, message: Message) -> StaffMessage | None:
    text = _text(message)
    if not text or message.from_user is None or message.from_user.is_bot:
        return None
    return StaffMessage(
        external_id=external_id(update),
        user_id=message.from_user.id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        text=text,
    )
