"""The handoff policy table: which trigger hands off, with which reason code."""

from __future__ import annotations

import pytest

from bot.dialogue.frustration import Frustration, Sign
from bot.dialogue.handoff_policy import Trigger, after_answer, before_answer
from bot.settings.model import HandoffPolicy
from handoff.model import HandoffReason

POLICY = HandoffPolicy(always_human_topics=("payroll", "gdpr"))
ANGRY = Frustration(Sign.WORDS, "word 'useless'")


@pytest.mark.parametrize(
    ("policy", "asked", "helpful", "frustration", "expected"),
    [
        (POLICY, True, None, None, Trigger(HandoffReason.CUSTOMER_ASKED)),
        (POLICY, False, False, None, Trigger(HandoffReason.NOT_HELPFUL)),
        (POLICY, False, True, None, None),
        (
            POLICY,
            False,
            None,
            ANGRY,
            Trigger(HandoffReason.FRUSTRATION, "words: word 'useless'"),
        ),
        (POLICY, False, None, None, None),
        (HandoffPolicy(customer_asks=False), True, None, None, None),
        (HandoffPolicy(not_helpful=False), False, False, None, None),
    ],
)
def test_before_answer(
    policy: HandoffPolicy,
    asked: bool,
    helpful: bool | None,
    frustration: Frustration | None,
    expected: Trigger | None,
) -> None:
    trigger = before_answer(
        policy, asked_for_person=asked, helpful=helpful, frustration=frustration
    )
    assert trigger == expected


@pytest.mark.parametrize(
    ("policy", "article", "tags", "marked", "fallbacks", "expected"),
    [
        (POLICY, "vpn", (), False, 0, None),
        (
            POLICY,
            "payroll",
            (),
            False,
            0,
            Trigger(HandoffReason.ALWAYS_HUMAN_TOPIC, "topic 'payroll'"),
        ),
        (
            POLICY,
            "delete-me",
            ("gdpr",),
            False,
            0,
            Trigger(HandoffReason.ALWAYS_HUMAN_TOPIC, "topic 'gdpr'"),
        ),
        (
            POLICY,
            "lost-device",
            (),
            True,
            0,
            Trigger(HandoffReason.ARTICLE_REQUIRES_HUMAN, "article 'lost-device'"),
        ),
        (HandoffPolicy(article_handoff="offer"), "lost-device", (), True, 0, None),
        (POLICY, None, (), False, 1, None),
        (
            POLICY,
            None,
            (),
            False,
            2,
            Trigger(HandoffReason.REPEATED_FALLBACK, "2 questions"),
        ),
        (HandoffPolicy(fallbacks_in_a_row=0), None, (), False, 5, None),
    ],
)
def test_after_answer(
    policy: HandoffPolicy,
    article: str | None,
    tags: tuple[str, ...],
    marked: bool,
    fallbacks: int,
    expected: Trigger | None,
) -> None:
    trigger = after_answer(
        policy,
        answered_article=article,
        article_tags=tags,
        article_handoff=marked,
        fallbacks_in_a_row=fallbacks,
    )
    assert trigger == expected
