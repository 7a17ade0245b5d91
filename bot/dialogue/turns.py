"""The port between the runtime and the bot's actions: what goes in, what comes out.

The runtime never sees a rasa ``Tracker``; it hands an action a :class:`TurnState` and gets
back an :class:`ActionResult` made of plain values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from handoff.model import Button
from knowledge.article import KnowledgeBase
from knowledge.index import SearchIndex

ACTION_ANSWER = "action_answer_from_knowledge"
ACTION_HAND_OFF = "action_hand_off"
ACTION_NOTICE = "action_post_status_notice"


class Staffing(enum.StrEnum):
    """Who is there to take a handed-over conversation: what its acknowledgement says."""

    PEOPLE = "people"  # someone is on shift: "a person will reply here"
    NOBODY = "nobody"  # open, but nobody from the team is online
    CLOSED = "closed"  # out of office hours, back at a known time (the slot back_when)
    CLOSED_UNKNOWN = "closed_unknown"  # out of office hours, no opening ahead


@dataclass(slots=True)
class Slots:
    """The dialogue's memory as the actions see it: the Rasa slots of the bot's domain.

    Rebuilt from the transcript each turn (nothing lives only in memory), then set by the
    actions as the turn goes. Only these go to an action; the runtime keeps its own state
    of a turn elsewhere.

    Attributes:
        language: the conversation's language; None lets the answer follow the article.
        requested_article: the article a clarification button asked for.
        fallback_count: fallbacks in a row.
        kb_outcome: what the answer action decided ("answer", "clarify", "fallback").
        article_id: the article answered with.
        article_team: the team of the last article answered with.
        article_handoff: that article always needs a person.
        article_tags: that article's tags.
        queue_position: the place in the queue after a handoff.
        team_name: the display name of the team the conversation went to.
        staffing: whether people are there to take it (a :class:`Staffing` value; None:
            not known, said as if they were).
        back_when: when people are back, as a clause ("we are back at 08:00 tomorrow"),
            while the desk is closed.
        notices: the notices to show, rendered: ``[{"id", "text"}]``.
        notices_shown: ids of the notices this conversation has seen.
    """

    language: str | None = None
    requested_article: str | None = None
    fallback_count: int = 0
    kb_outcome: str | None = None
    article_id: str | None = None
    article_team: str | None = None
    article_handoff: bool | None = None
    article_tags: list[str] | None = None
    queue_position: int | None = None
    team_name: str | None = None
    staffing: str | None = None
    back_when: str | None = None
    notices: list[dict[str, Any]] | None = None
    notices_shown: list[int] = field(default_factory=list)

    @staticmethod
    def names() -> tuple[str, ...]:
        """The slot names, as the domain declares them."""
        return _SLOTS

    def as_rasa(self) -> dict[str, Any]:
        """The slots as a Rasa tracker carries them."""
        return {name: getattr(self, name) for name in _SLOTS}

    def set(self, changes: Mapping[str, Any]) -> None:
        """Apply the slots an action set.

        Raises:
            KeyError: an action set a slot the domain does not declare.
        """
        for name, value in changes.items():
            if name not in _SLOTS:
                raise KeyError(f"unknown slot {name!r}")
            setattr(self, name, value)


_SLOTS = tuple(f.name for f in fields(Slots))


@dataclass(frozen=True, slots=True)
class TurnState:
    """What an action may look at: who speaks, what they said, and the slots."""

    sender_id: str
    text: str
    slots: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Utterance:
    """One bot message an action wants sent, with its buttons and transcript metadata."""

    text: str
    buttons: tuple[Button, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action decided: slots to set and messages to send."""

    slots: Mapping[str, Any]
    utterances: tuple[Utterance, ...]


class ActionRunner(Protocol):
    """Runs one of the bot's actions by name."""

    async def run(self, action_name: str, state: TurnState) -> ActionResult:
        """Raises ActionFailed."""
        ...


@dataclass(frozen=True, slots=True)
class KnowledgeSnapshot:
    """The knowledge serving right now and its search index (replaced whole on reload)."""

    knowledge: KnowledgeBase
    index: SearchIndex


KnowledgeProvider = Callable[[], KnowledgeSnapshot]
