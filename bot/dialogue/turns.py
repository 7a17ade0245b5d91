"""The port between the runtime and the bot's actions: what goes in, what comes out.

The runtime never sees a rasa ``Tracker``; it hands an action a :class:`TurnState` and gets
back an :class:`ActionResult` made of plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from handoff.model import Button
from knowledge.article import KnowledgeBase
from knowledge.index import SearchIndex

ACTION_ANSWER = "action_answer_from_knowledge"
ACTION_HAND_OFF = "action_hand_off"
ACTION_NOTICE = "action_post_status_notice"


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
