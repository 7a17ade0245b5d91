"""The handoff card, built from stored values by a pure function."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from handoff.card import TriedArticle, build_card, tried_articles
from handoff.export import to_markdown
from handoff.model import Handoff, HandoffReason, Message, SenderKind
from handoff.payloads import helpful_verdict
from handoff.questions import STATED_WITH_THE_ASK
from tests.handoff.desk_samples import (
    CONVERSATION,
    CUSTOMER,
    HANDOFF,
    START,
    TRANSCRIPT,
    message,
)


def test_the_card_leads_with_reason_question_and_wait() -> None:
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=HANDOFF,
        transcript=TRANSCRIPT,
        now=START + timedelta(hours=1),
    )
    assert (card.reason, card.question, card.waited_s, card.promised_wait_s) == (
        HandoffReason.NOT_HELPFUL,
        "my vpn <keeps> dropping",
        180,
        600,
    )
    assert (card.customer, card.channel, card.language, card.team) == (
        "Ann",
        "web",
        "en",
        "it-support",
    )


def test_an_unclaimed_handoff_has_waited_until_now() -> None:
    unclaimed = replace(HANDOFF, claimed_at=None)
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=unclaimed,
        transcript=TRANSCRIPT,
        now=START + timedelta(seconds=63),
    )
    assert card.waited_s == 60


def test_the_tried_article_carries_the_customers_verdict() -> None:
    assert tried_articles(TRANSCRIPT) == (TriedArticle("vpn-connect", 0.71, "answer", False),)


def test_clarify_and_fallback_candidates_are_listed_with_scores() -> None:
    transcript = (
        message(
            1,
            SenderKind.BOT,
            "Did you mean",
            meta={
                "kind": "clarify",
                "candidates": [
                    {"article_id": "a", "score": 0.6},
                    {"article_id": "b", "score": 0.58},
                ],
            },
        ),
        message(
            2,
            SenderKind.BOT,
            "Not sure",
            meta={"kind": "fallback", "best_article_id": "c", "best_score": 0.2},
        ),
    )
    assert tried_articles(transcript) == (
        TriedArticle("a", 0.6, "clarify"),
        TriedArticle("b", 0.58, "clarify"),
        TriedArticle("c", 0.2, "fallback"),
    )


def test_a_conversation_never_handed_off_has_a_card_without_reason() -> None:
    card = build_card(
        conversation=CONVERSATION, customer=CUSTOMER, handoff=None, transcript=TRANSCRIPT, now=START
    )
    assert (card.reason, card.waited_s, len(card.transcript)) == (None, None, 5)


@pytest.mark.parametrize(
    ("payload", "verdict"),
    [("/helpful yes", True), ("/helpful no", False), ("/helpful maybe", None), (None, None)],
)
def test_helpful_verdict(payload: str | None, verdict: bool | None) -> None:
    assert helpful_verdict(payload) is verdict


# HANDOFF was claimed 180 s after it was asked for.
PROMISES = [
    ("told 0-5 min, claimed after 3", replace(HANDOFF, promised_low_s=0, promised_high_s=300),
     "less than 5 min", True),
    ("told 5-10 min, claimed after 3 (sooner)", replace(HANDOFF, promised_low_s=300,
     promised_high_s=600), "5-10 min", True),
    ("told 0-2 min, claimed after 3", replace(HANDOFF, promised_low_s=0, promised_high_s=120),
     "less than 2 min", False),
    ("told 0-2 min, still waiting after 3", replace(HANDOFF, claimed_at=None, promised_low_s=0,
     promised_high_s=120), "less than 2 min", False),
    ("told 0-5 min, still waiting after 3", replace(HANDOFF, claimed_at=None, promised_low_s=0,
     promised_high_s=300), "less than 5 min", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("handoff", "words", "kept"), [p[1:] for p in PROMISES], ids=[p[0] for p in PROMISES]
)
def test_the_card_says_what_wait_was_promised_and_whether_it_held(
    handoff: Handoff, words: str, kept: bool | None
) -> None:
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=handoff,
        transcript=TRANSCRIPT,
        now=handoff.requested_at + timedelta(seconds=180),
    )
    assert card.promise is not None
    assert (card.promise.words(), card.promise_kept) == (words, kept)
    assert f"- **Wait promised:** {words}" in to_markdown(card)


#: Small talk, then a request for a person: the handoff's summary, as an older version
#: stored it, names the small talk.
SMALL_TALK_THEN_PERSON = (
    message(1, SenderKind.CUSTOMER, "hi there"),
    message(2, SenderKind.BOT, "Hi! What can I help you with?", meta={"kind": "small_talk"}),
    message(3, SenderKind.CUSTOMER, "can I talk to a person"),
    message(4, SenderKind.BOT, "Passed on", meta={"kind": "handoff", "queue_position": 1}),
)


@pytest.mark.parametrize(
    ("transcript", "summary", "question"),
    [
        (TRANSCRIPT, "my vpn <keeps> dropping", "my vpn <keeps> dropping"),
        (SMALL_TALK_THEN_PERSON, "hi there", None),
        (
            (*SMALL_TALK_THEN_PERSON[:2], message(3, SenderKind.CUSTOMER, "my printer jams"),
             message(4, SenderKind.BOT, "Not sure", meta={"kind": "fallback"}),
             message(5, SenderKind.CUSTOMER, "can I talk to a person")),
            "can I talk to a person",
            "my printer jams",
        ),
        (
            (message(1, SenderKind.CUSTOMER, "I need a person, my printer is on fire"),
             message(2, SenderKind.BOT, "Passed on",
                     meta={"kind": "handoff", STATED_WITH_THE_ASK: True})),
            "I need a person, my printer is on fire",
            "I need a person, my printer is on fire",
        ),
        (
            (message(1, SenderKind.CUSTOMER, "I want a person"),
             message(2, SenderKind.BOT, "Passed on", meta={"kind": "handoff"})),
            "I want a person",
            None,
        ),
    ],
    ids=["the answer did not help", "small talk only", "a greeting, then a question",
         "a problem stated with the ask", "only the ask"],
)  # fmt: skip
def test_the_cards_question_is_the_one_that_led_to_the_handoff(
    transcript: tuple[Message, ...], summary: str, question: str | None
) -> None:
    handoff = replace(HANDOFF, summary=summary, requested_at=START + timedelta(seconds=10))
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=handoff,
        transcript=transcript,
        now=START + timedelta(hours=1),
    )
    led = [q.text for q in card.questions if q.message_id == card.handoff_question]
    assert (card.question, led) == (question, [] if question is None else [question])
