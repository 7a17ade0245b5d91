"""The bot's actions as rasa-sdk actions, and the runner that executes them in-process.

This is the only module that imports ``rasa_sdk``. Each action reads the tracker, decides,
and returns events and messages; none does I/O. The runtime runs them through rasa-sdk's
own ``ActionExecutor`` (the code path of an action server's ``/webhook``), and
``helpline actions`` serves the very same executor over HTTP.
"""

from __future__ import annotations

import logging
import socket
import zlib
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from bot.dialogue.answer_policy import Outcome, Thresholds, decide
from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import (
    ACTION_ANSWER,
    ACTION_HAND_OFF,
    ACTION_NOTICE,
    ActionResult,
    KnowledgeProvider,
    KnowledgeSnapshot,
    Slots,
    Staffing,
    TurnState,
    Utterance,
)
from bot.errors import ActionFailed
from bot.settings.model import Settings
from handoff import payloads
from handoff.model import Button, MessageKind
from knowledge.article import Article

log = logging.getLogger(__name__)

DOMAIN: dict[str, Any] = {
    "version": "3.1",
    "slots": {
        name: {"type": "any", "influence_conversation": False, "mappings": []}
        for name in Slots.names()
    },
    "responses": {},
    "actions": [ACTION_ANSWER, ACTION_HAND_OFF, ACTION_NOTICE],
}


def _button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


class AnswerFromKnowledge(Action):  # type: ignore[misc]
    """Answer from the curated knowledge, ask which article was meant, or admit not knowing."""

    def __init__(
        self, knowledge: KnowledgeProvider, phrases: Phrases, thresholds: Thresholds
    ) -> None:
        self._knowledge = knowledge
        self._phrases = phrases
        self._thresholds = thresholds

    def name(self) -> str:
        return ACTION_ANSWER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        snapshot = self._knowledge()
        language: str | None = tracker.get_slot("language")
        fallbacks = int(tracker.get_slot("fallback_count") or 0)
        requested = tracker.get_slot("requested_article")
        if requested:
            article = snapshot.knowledge.get(str(requested), language)
            if article is not None:
                return self._answer(dispatcher, article, score=1.0, matched=article.title)
        text = tracker.latest_message.get("text") or ""
        decision = decide(snapshot.index.search(text, limit=5, language=language), self._thresholds)
        if decision.outcome is Outcome.ANSWER:
            best = decision.candidates[0]
            answer_lang = language or best.article.lang
            article = snapshot.knowledge.get(best.article.id, answer_lang) or best.article
            return self._answer(dispatcher, article, score=best.score, matched=best.matched)
        lang = language or (decision.candidates[0].article.lang if decision.candidates else None)
        person = _button(self._phrases.get("button_person", lang), payloads.HUMAN)
        if decision.outcome is Outcome.CLARIFY:
            choices = []
            for candidate in decision.candidates:
                shown = snapshot.knowledge.get(candidate.article.id, lang) or candidate.article
                choices.append(_button(shown.title, payloads.article(shown.id)))
            dispatcher.utter_message(
                text=self._phrases.get("clarify", lang),
                buttons=[*choices, person],
                custom={
                    "kind": MessageKind.CLARIFY,
                    "candidates": [
                        {"article_id": c.article.id, "score": round(c.score, 4)}
                        for c in decision.candidates
                    ],
                },
            )
            return [SlotSet("kb_outcome", Outcome.CLARIFY.value)]
        best_guess = decision.candidates[0] if decision.candidates else None
        dispatcher.utter_message(
            text=self._phrases.get("fallback", lang),
            buttons=[person],
            custom={
                "kind": MessageKind.FALLBACK,
                "best_article_id": best_guess.article.id if best_guess else None,
                "best_score": round(best_guess.score, 4) if best_guess else None,
            },
        )
        return [
            SlotSet("kb_outcome", Outcome.FALLBACK.value),
            SlotSet("fallback_count", fallbacks + 1),
        ]

    def _answer(
        self, dispatcher: CollectingDispatcher, article: Article, *, score: float, matched: str
    ) -> list[EventType]:
        # "Did this help?" under every answer: a "no" is a handoff trigger and feedback.
        buttons = [
            _button(self._phrases.get("button_helpful_yes", article.lang), payloads.helpful(True)),
            _button(self._phrases.get("button_helpful_no", article.lang), payloads.helpful(False)),
        ]
        if article.handoff:
            buttons.append(
                _button(self._phrases.get("button_person", article.lang), payloads.HUMAN)
            )
        dispatcher.utter_message(
            text=article.answer,
            buttons=buttons,
            custom={
                "kind": MessageKind.ANSWER,
                "article_id": article.id,
                "team": article.team,
                "handoff": article.handoff,
                "tags": list(article.tags),
                "lang": article.lang,
                "score": round(score, 4),
                "matched": matched,
            },
        )
        return [
            SlotSet("kb_outcome", Outcome.ANSWER.value),
            SlotSet("article_id", article.id),
            SlotSet("article_team", article.team),
            SlotSet("article_handoff", article.handoff),
            SlotSet("article_tags", list(article.tags)),
            SlotSet("fallback_count", 0),
        ]


class HandOff(Action):  # type: ignore[misc]
    """Tell the customer their conversation went to people, and their place in the queue."""

    def __init__(self, phrases: Phrases) -> None:
        self._phrases = phrases

    def name(self) -> str:
        return ACTION_HAND_OFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language: str | None = tracker.get_slot("language")
        position = int(tracker.get_slot("queue_position") or 1)
        team = tracker.get_slot("team_name") or self._phrases.get("team_default", language)
        staffing = Staffing(tracker.get_slot("staffing") or Staffing.PEOPLE)
        # Nobody there (or the desk closed): "a person will reply here" would read as
        # "soon"; the customer is told so (and when people are back), and that their
        # place is kept, in one message.
        key = "handoff_ack" if staffing is Staffing.PEOPLE else f"handoff_ack_{staffing.value}"
        if position <= 1:
            key = f"{key}_first"
        dispatcher.utter_message(
            text=self._phrases.get(
                key, language, team=team, position=position, when=tracker.get_slot("back_when")
            ),
            custom={"kind": MessageKind.HANDOFF, "queue_position": position},
        )
        return [SlotSet("fallback_count", 0)]


class PostStatusNotice(Action):  # type: ignore[misc]
    """Show the active status notices this conversation has not seen yet, once each."""

    def name(self) -> str:
        return ACTION_NOTICE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        notices = tracker.get_slot("notices") or []
        shown = {int(i) for i in tracker.get_slot("notices_shown") or []}
        for notice in notices:
            notice_id = int(notice["id"])
            if notice_id in shown:
                continue
            dispatcher.utter_message(
                text=str(notice["text"]),
                custom={"kind": MessageKind.NOTICE, "notice_id": notice_id},
            )
            shown.add(notice_id)
        return [SlotSet("notices_shown", sorted(shown))]


def build_executor(
    knowledge: KnowledgeProvider, phrases: Phrases, thresholds: Thresholds
) -> ActionExecutor:
    """The one place the bot's actions are registered."""
    executor = ActionExecutor()
    executor.register_action(AnswerFromKnowledge(knowledge, phrases, thresholds))
    executor.register_action(HandOff(phrases))
    executor.register_action(PostStatusNotice())
    return executor


def webhook_payload(action_name: str, state: TurnState) -> dict[str, Any]:
    """The request body Rasa sends an action server's ``/webhook`` for this turn.

    Helpline itself never sends it: the runtime runs the actions in-process
    (:class:`RasaActionRunner`), without a webhook body. It is the public contract of the
    action server that ``helpline actions`` serves (:func:`serve_actions`) to a Rasa
    assistant, stated once here, next to the domain it carries: the tests drive the
    executor and the real server with it, as Rasa would.
    """
    return {
        "next_action": action_name,
        "sender_id": state.sender_id,
        "version": "3.21.0",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": state.sender_id,
            "slots": dict(state.slots),
            "latest_message": {"text": state.text, "intent": {}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def _utterance(response: dict[str, Any]) -> Utterance:
    buttons = tuple(
        Button(title=str(b["title"]), payload=str(b["payload"]))
        for b in response.get("buttons") or []
    )
    meta = response.get("custom") or {}
    return Utterance(text=str(response.get("text") or ""), buttons=buttons, meta=dict(meta))


class RasaActionRunner:
    """Runs the bot's actions in-process, on rasa-sdk's executor and its own parts.

    The executor's registry, a rasa ``Tracker``, a ``CollectingDispatcher`` and the
    executor's check of the returned events, as its ``/webhook`` does, but without the
    round trip through a webhook body and pydantic models that only the HTTP transport
    needs (it cost more CPU than the actions themselves).
    """

    def __init__(self, executor: ActionExecutor) -> None:
        self._executor = executor

    async def run(self, action_name: str, state: TurnState) -> ActionResult:
        """Run one action for one turn.

        Raises:
            ActionFailed: the action is unknown.
        """
        action = self._executor.actions.get(action_name)
        if action is None:
            raise ActionFailed(action_name, f"No registered action found for name '{action_name}'.")
        tracker = Tracker(
            sender_id=state.sender_id,
            slots=dict(state.slots),
            latest_message={"text": state.text, "intent": {}, "entities": []},
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )
        dispatcher = CollectingDispatcher()
        events = await call_potential_coroutine(action(dispatcher, tracker, DOMAIN))
        slots = {
            event["name"]: event.get("value")
            for event in self._executor.validate_events(events or [], action_name)
            if event.get("event") == "slot"
        }
        utterances = tuple(_utterance(r) for r in dispatcher.messages)
        return ActionResult(slots=slots, utterances=utterances)


#: The largest request body of the action server, also once inflated (a Rasa tracker with a
#: long conversation runs to a few hundred kilobytes).
ACTION_MAX_BODY_BYTES = 1024 * 1024


def inflated_size_exceeds(body: bytes, limit: int) -> bool:
    """Whether a deflated (zlib) body inflates to more than ``limit`` bytes.

    Inflates at most ``limit + 1`` bytes, so a small bomb costs no more than the limit. A
    body that is not valid zlib data counts as within the limit: the parser refuses it.
    """
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        return False
    return len(inflated) > limit or bool(inflater.unconsumed_tail)


def serve_actions(settings: Settings, snapshot: KnowledgeSnapshot, *, host: str, port: int) -> None:
    """Serve the bot's actions over HTTP as a Rasa action server, until interrupted.

    The same executor runs in-process in the service; here rasa-sdk's own Sanic app
    serves it. Errors are answered without echoing the request (it holds the customer's
    words), and CORS is off: only Rasa, server to server, should call this.
    """
    from rasa_sdk.endpoint import create_app

    phrases = Phrases(overrides=settings.phrases, default_language=settings.default_language)
    thresholds = Thresholds(
        answer=settings.answer_threshold, clarify_margin=settings.clarify_margin
    )
    app = create_app(build_executor(lambda: snapshot, phrases, thresholds), cors_origins=[])
    # Sanic accepts 100 MB bodies by default, and rasa-sdk inflates a deflated body with no
    # limit (398 KB became 400 MB): both are bounded here, before rasa-sdk sees the request.
    app.config.REQUEST_MAX_SIZE = ACTION_MAX_BODY_BYTES

    from sanic.exceptions import PayloadTooLarge
    from sanic.response import json as json_response

    def too_large() -> Any:
        return json_response({"error": "request body too large"}, status=413)

    @app.on_request  # type: ignore[untyped-decorator]
    async def _bounded_inflation(request: Any) -> Any:
        if request.headers.get("Content-Encoding") != "deflate":
            return None
        if inflated_size_exceeds(request.body or b"", ACTION_MAX_BODY_BYTES):
            return too_large()
        return None

    @app.exception(PayloadTooLarge)  # type: ignore[untyped-decorator]
    async def _too_large(request: Any, exception: Exception) -> Any:
        # rasa-sdk answers every exception with a 500; an oversized body is the client's.
        return too_large()

    @app.on_response  # type: ignore[untyped-decorator]
    async def _no_echo(request: Any, response: Any) -> Any:
        # rasa-sdk's error handler echoes the request body, which holds customer text.
        if response.status >= 500:
            from sanic.response import json as json_response

            log.error("action server error %s on %s", response.status, request.path)
            return json_response({"error": "internal error"}, status=response.status)
        return None

    # Bound here rather than by Sanic so that port 0 (any free port) works: the line printed
    # says which port the system chose, and nothing else can take it in between.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.create_server((host, port), family=family)
    bound = listening.getsockname()[1]
    print(f"Rasa action server listening on http://{host}:{bound}", flush=True)
    app.run(sock=listening, single_process=True, access_log=False)
