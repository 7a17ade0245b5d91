"""A customer's data as values: what an export hands over and what an erasure removed.

Pure: the store fills these (:meth:`~handoff.store.port.Store.export_customer`,
:meth:`~handoff.store.port.Store.erase_customer`); :func:`to_json` writes an export as
the JSON document a data-subject request is answered with.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from handoff.attachments import StoredFile
from handoff.model import Conversation, Customer, Feedback, Handoff, Message
from handoff.reply_mail import ReplyMailState

#: The export's format tag; readers refuse other versions instead of guessing.
JSON_FORMAT = "helpline-customer/1"


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """Everything Helpline stores about one customer, oldest first within each kind."""

    customer: Customer
    conversations: tuple[Conversation, ...]
    messages: tuple[Message, ...]
    handoffs: tuple[Handoff, ...]
    feedback: tuple[Feedback, ...]
    #: The files sent in the conversations (images, PDFs), content included.
    attachments: tuple[StoredFile, ...] = ()
    #: The e-mail address left for replies, and what was mailed (None: never asked).
    reply_mail: ReplyMailState | None = None


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a customer removed: counts only, never content.

    Attributes:
        customer_id: whose data went.
        conversations, messages, handoffs, feedback, timers, attachments: rows removed.
        telegram_topics: forum topics of the staff group that showed these conversations;
            they live on Telegram's servers, so staff delete them there.
    """

    customer_id: int
    conversations: int
    messages: int
    handoffs: int
    feedback: int
    timers: int
    telegram_topics: tuple[int, ...] = ()
    attachments: int = 0

    def summary(self) -> str:
        """The audit log's line: ``3 conversations, 17 messages, 1 handoffs, ...``."""
        return (
            f"{self.conversations} conversations, {self.messages} messages, "
            f"{self.handoffs} handoffs, {self.feedback} feedback, {self.timers} timers, "
            f"{self.attachments} attachments"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")  # a file's content, losslessly
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def to_json(record: CustomerRecord) -> str:
    """The record as an indented JSON document tagged with :data:`JSON_FORMAT`."""
    document = {"format": JSON_FORMAT, **_plain(record)}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
