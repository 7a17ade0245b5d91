"""Why a conversation was handed to people, in words: one table for every place that says it.

The console, the handoff card in the Telegram staff group, the command line and the
transcript exports all read :data:`REASON_TEXT`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from handoff.model import HandoffReason

#: How each reason reads, as the end of "Why: ...". A page that starts a line with it
#: capitalises it (:func:`reason_sentence`).
REASON_TEXT: Mapping[HandoffReason, str] = MappingProxyType(
    {
        HandoffReason.CUSTOMER_ASKED: "the customer asked for a person",
        HandoffReason.REPEATED_FALLBACK: "the bot could not answer, several times in a row",
        HandoffReason.NOT_HELPFUL: "the customer said the answer did not help",
        HandoffReason.ARTICLE_REQUIRES_HUMAN: "the article says a person must follow up",
        HandoffReason.FRUSTRATION: "the customer sounded frustrated",
        HandoffReason.ALWAYS_HUMAN_TOPIC: "the topic always goes to a person",
    }
)


def describe_reason(reason: HandoffReason, detail: str | None) -> str:
    """One line saying why a conversation was handed off, with its detail if any."""
    text = REASON_TEXT.get(reason, reason.value)
    return f"{text} ({detail})" if detail else text


def reason_sentence(reason: HandoffReason) -> str:
    """The reason as a line of its own: "The customer asked for a person"."""
    text = REASON_TEXT.get(reason, reason.value)
    return text[:1].upper() + text[1:]
