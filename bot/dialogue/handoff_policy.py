"""The handoff policy: when the bot gives a conversation to people, and why. Pure, no I/O.

The rules come from the ``[helpline.handoff]`` table (:class:`bot.settings.model.HandoffPolicy`).
Each decision carries a reason code and a detail, stored with the handoff, so that
``helpline handoff explain`` can say exactly why a conversation went to people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.dialogue.frustration import Frustration, FrustrationRules
from bot.settings.model import HandoffPolicy
from handoff.model import HandoffReason


@dataclass(frozen=True, slots=True)
class Trigger:
    """A decision to hand off: the reason code and what exactly set it off."""

    reason: HandoffReason
    detail: str | None = None


def frustration_rules(policy: HandoffPolicy) -> FrustrationRules:
    """The frustration signs the policy turns on."""
    return FrustrationRules(
        repeated_question=policy.repeated_question,
        repeated_similarity=policy.repeated_similarity,
        shouting=policy.shouting,
        shouting_min_letters=policy.shouting_min_letters,
        words=policy.words,
    )


def before_answer(
    policy: HandoffPolicy,
    *,
    asked_for_person: bool,
    helpful: bool | None,
    frustration: Frustration | None,
) -> Trigger | None:
    """Triggers that hand off instead of answering.

    Args:
        policy: the deployment's rules.
        asked_for_person: the customer asked for a person (words, button or ``/human``).
        helpful: the customer's "Did this help?" answer, if this message is one.
        frustration: the sign of frustration in this message, if any (None when the
            frustration signs are off).
    """
    if asked_for_person and policy.customer_asks:
        return Trigger(HandoffReason.CUSTOMER_ASKED)
    if helpful is False and policy.not_helpful:
        return Trigger(HandoffReason.NOT_HELPFUL)
    if frustration is not None:
        return Trigger(HandoffReason.FRUSTRATION, f"{frustration.sign.value}: {frustration.detail}")
    return None


def after_answer(
    policy: HandoffPolicy,
    *,
    answered_article: str | None,
    article_tags: Sequence[str] = (),
    article_handoff: bool = False,
    fallbacks_in_a_row: int = 0,
) -> Trigger | None:
    """Triggers that hand off after the bot's reply.

    Args:
        policy: the deployment's rules.
        answered_article: the id of the article just answered with, if any.
        article_tags: that article's tags.
        article_handoff: that article is marked ``handoff: true``.
        fallbacks_in_a_row: fallbacks since the last answer, this one included.
    """
    if answered_article is not None:
        topics = set(policy.always_human_topics)
        hits = sorted(topics & {answered_article, *article_tags})
        if hits:
            return Trigger(HandoffReason.ALWAYS_HUMAN_TOPIC, f"topic {hits[0]!r}")
        if article_handoff and policy.article_handoff == "hand_off":
            return Trigger(HandoffReason.ARTICLE_REQUIRES_HUMAN, f"article {answered_article!r}")
    if 0 < policy.fallbacks_in_a_row <= fallbacks_in_a_row:
        return Trigger(HandoffReason.REPEATED_FALLBACK, f"{fallbacks_in_a_row} questions")
    return None
