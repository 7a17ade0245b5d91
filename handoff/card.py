"""The handoff card: what an agent reads first when taking over a conversation. Pure.

The card is built from what is stored anyway (the conversation, its handoff, the
transcript and the feedback), so it never disagrees with the transcript below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from handoff.model import (
    Conversation,
    Customer,
    Feedback,
    Handoff,
    HandoffReason,
    Message,
    MessageKind,
    SenderKind,
)
from handoff.payloads import helpful_verdict
from handoff.questions import BotDid, Question, questions_of, unresolved


@dataclass(frozen=True, slots=True)
class TriedArticle:
    """An article the bot offered or considered, its score, and the customer's verdict.

    Attributes:
        article_id: the article.
        score: the search score it had for the customer's words.
        outcome: "answer" (shown), "clarify" (offered as a choice) or "fallback" (best
            guess, not shown).
        helpful: the customer's "Did this help?" answer, if they gave one.
    """

    article_id: str
    score: float | None
    outcome: str
    helpful: bool | None = None


@dataclass(frozen=True, slots=True)
class Promise:
    """The wait range a queued customer was told, in seconds ("about 10-20 minutes")."""

    low_s: int
    high_s: int

    def words(self) -> str:
        """As staff read it: "10-20 min", "less than 15 min"."""
        high = self.high_s // 60
        return f"less than {high} min" if self.low_s <= 0 else f"{self.low_s // 60}-{high} min"

    def kept_by(self, waited_s: int) -> bool:
        """Whether a wait of ``waited_s`` was no longer than the range told.

        A customer picked up sooner than "5-20 minutes" was not let down: staff reading
        "not kept" there would look for a failure that did not happen. How well the ranges
        fit the waits is the wait benchmark's figure (benchmarks/wait), not the desk's.
        """
        return waited_s <= self.high_s


def promise_of(handoff: Handoff) -> Promise | None:
    """The range told with the handoff's acknowledgement, if a number was told."""
    if handoff.promised_low_s is None or handoff.promised_high_s is None:
        return None
    return Promise(handoff.promised_low_s, handoff.promised_high_s)


def promise_kept(handoff: Handoff, promise: Promise | None, now: datetime) -> bool | None:
    """Whether the promise held: None without one, or while the wait goes on within it."""
    if promise is None:
        return None
    if handoff.claimed_at is not None:
        return promise.kept_by(int((handoff.claimed_at - handoff.requested_at).total_seconds()))
    if handoff.resolved_at is not None:
        return None  # the customer left before anyone came: the promise was not put to test
    if (now - handoff.requested_at).total_seconds() > promise.high_s:
        return False
    return None


@dataclass(frozen=True, slots=True)
class HandoffCard:
    """The story of a handed-off conversation at a glance, then the whole transcript.

    The handoff fields (reason, question, wait) are None for a conversation that never
    went to people; the card then is just the transcript with its facts.
    """

    conversation_id: UUID
    customer: str
    channel: str
    language: str | None
    team: str | None
    reason: HandoffReason | None
    reason_detail: str | None
    question: str | None
    tried: tuple[TriedArticle, ...]
    requested_at: datetime | None
    waited_s: int | None
    promised_wait_s: int | None
    rating: int | None
    transcript: tuple[Message, ...]
    promise: Promise | None = None
    promise_kept: bool | None = None
    questions: tuple[Question, ...] = ()
    handoff_question: int | None = None  # message id of the question the handoff is about


def customer_label(customer: Customer) -> str:
    """How staff see a customer: their display name, or channel and number."""
    return customer.display_name or f"{customer.channel} customer #{customer.id}"


def tried_articles(transcript: Sequence[Message]) -> tuple[TriedArticle, ...]:
    """The articles the bot tried, in order, with the customer's verdict on each answer.

    A verdict is the customer's "Did this help?" button (payload ``/helpful yes|no``),
    which belongs to the answer it followed.
    """
    tried: list[TriedArticle] = []
    for message in transcript:
        meta = message.meta
        kind = MessageKind.of(meta)
        if message.sender is SenderKind.BOT and kind is MessageKind.ANSWER:
            tried.append(TriedArticle(str(meta["article_id"]), _score(meta.get("score")), "answer"))
        elif message.sender is SenderKind.BOT and kind is MessageKind.CLARIFY:
            for candidate in meta.get("candidates") or []:
                tried.append(
                    TriedArticle(
                        str(candidate["article_id"]), _score(candidate.get("score")), "clarify"
                    )
                )
        elif (
            message.sender is SenderKind.BOT
            and kind is MessageKind.FALLBACK
            and meta.get("best_article_id")
        ):
            tried.append(
                TriedArticle(
                    str(meta["best_article_id"]), _score(meta.get("best_score")), "fallback"
                )
            )
        elif message.sender is SenderKind.CUSTOMER and tried:
            verdict = helpful_verdict(meta.get("payload"))
            last = tried[-1]
            if verdict is not None and last.outcome == "answer":
                tried[-1] = TriedArticle(last.article_id, last.score, last.outcome, verdict)
    return tuple(tried)


def build_card(
    *,
    conversation: Conversation,
    customer: Customer,
    handoff: Handoff | None,
    transcript: Sequence[Message],
    feedback: Sequence[Feedback] = (),
    now: datetime,
) -> HandoffCard:
    """Build the card of a conversation's handoff.

    Args:
        conversation: the conversation.
        customer: its customer.
        handoff: the handoff the card is about (usually the latest one), if any.
        transcript: the whole transcript, in order.
        feedback: the conversation's stored feedback (for the satisfaction rating).
        now: the current time; the wait ends here unless someone claimed it.

    Returns:
        The card; ``question`` is the customer's question the handoff is about, verbatim:
        the one still unsolved when they were handed off (:func:`handoff.questions.unresolved`,
        the rule the bot routed the handoff by), or None when none was (they asked for a
        person after small talk only, or after an answer that helped).
    """
    questions = questions_of(transcript)
    led: Question | None = None
    if handoff is not None:
        before = {m.id for m in transcript if m.created_at <= handoff.requested_at}
        led = unresolved(q for q in questions if q.message_id in before)
    ratings = [f.rating for f in feedback if f.rating is not None]
    waited_s = None
    promise = None if handoff is None else promise_of(handoff)
    if handoff is not None:
        waited_until = handoff.claimed_at or handoff.resolved_at or now
        waited_s = max(0, int((waited_until - handoff.requested_at).total_seconds()))
    return HandoffCard(
        conversation_id=conversation.id,
        customer=customer_label(customer),
        channel=conversation.channel,
        language=conversation.language,
        team=conversation.team if handoff is None else handoff.team,
        reason=None if handoff is None else handoff.reason,
        reason_detail=None if handoff is None else handoff.detail,
        # Read from the transcript as the bot read it, not from the handoff's summary: a
        # summary stored by an older version may name small talk or an answered question.
        question=None if led is None else led.text,
        tried=tried_articles(transcript),
        requested_at=None if handoff is None else handoff.requested_at,
        waited_s=waited_s,
        promised_wait_s=None if handoff is None else handoff.promised_wait_s,
        rating=ratings[-1] if ratings else None,
        transcript=tuple(transcript),
        promise=promise,
        promise_kept=None if handoff is None else promise_kept(handoff, promise, now),
        questions=questions,
        handoff_question=None if led is None else led.message_id,
    )


def what_the_bot_did(question: Question) -> str:
    """One question's outcome as staff read it: "answered with vpn-connect (did not help)"."""
    if question.bot_did is BotDid.ASKED_BACK:
        return "asked back which article was meant"
    if question.bot_did is BotDid.COULD_NOT_ANSWER:
        return "could not answer"
    if question.bot_did is BotDid.NOT_TRIED:
        return "did not try: asked for a person in the same message"
    verdict = {None: "", True: " (helped)", False: " (did not help)"}[question.helped]
    person = "; the article needs a person" if question.needs_person else ""
    return f"answered with {question.article_id}{verdict}{person}"


def _score(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
