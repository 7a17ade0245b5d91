"""What customers asked that the bot could not answer, grouped: the articles to write next.

Shared by ``helpline kb gaps`` and the console's dashboard, so both count the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.dialogue.answer_policy import asks_for_person
from handoff import payloads
from handoff.model import Message
from knowledge.clusters import DEFAULT_THRESHOLD, group_similar


@dataclass(frozen=True, slots=True)
class Gap:
    """One group of similar unanswered questions.

    Attributes:
        example: The group's most frequent phrasing.
        count: How many customer messages the group holds.
        last_asked: When the latest of them was written.
    """

    example: str
    count: int
    last_asked: datetime


def unanswered_questions(messages: Sequence[Message]) -> list[Message]:
    """The unanswered messages that are questions.

    Asking for a person is left out, and so is a "Did this help?" verdict: a "no, it did
    not help" hands over (the default policy) but is feedback on an answer, not a question
    for an article. Small talk never gets here (its reply is neither a fallback nor a
    handoff).
    """
    return [
        m
        for m in messages
        if m.meta.get("payload") != payloads.HUMAN
        and not payloads.is_helpful(m.meta.get("payload"))
        and not asks_for_person(m.text)
    ]


def gaps(questions: Sequence[Message], *, threshold: float = DEFAULT_THRESHOLD) -> list[Gap]:
    """Group unanswered questions by similarity, the most frequent group first.

    Args:
        questions: From :func:`unanswered_questions`.
        threshold: How similar messages must be to share a group.

    Returns:
        One :class:`Gap` per group, largest first.
    """
    if not questions:
        return []
    groups = group_similar([m.text for m in questions], threshold=threshold)
    return [
        Gap(
            example=group.example,
            count=group.count,
            last_asked=max(questions[i].created_at for i in group.members),
        )
        for group in groups
    ]
