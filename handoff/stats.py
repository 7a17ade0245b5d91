"""The desk's figures over a period: conversations, handoffs, waits, satisfaction. Pure.

The store hands over the period's rows as value types (:class:`PeriodActivity`);
:func:`desk_figures` turns them into what the admin dashboard shows.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from handoff.card import promise_kept, promise_of
from handoff.model import Conversation, Feedback, Handoff, HandoffReason


@dataclass(frozen=True, slots=True)
class PeriodActivity:
    """What happened on the desk in ``[since, until)``.

    Attributes:
        since: The start of the period (aware).
        until: The end of the period, not included (aware).
        conversations: Conversations started in the period.
        handoffs: Handoffs requested in the period, and every handoff of the conversations
            started in it (so "handled by the bot alone" is known for each of them).
        ratings: Conversation ratings (1-5) given in the period.
    """

    since: datetime
    until: datetime
    conversations: tuple[Conversation, ...]
    handoffs: tuple[Handoff, ...]
    ratings: tuple[Feedback, ...]


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Ratings credited to one agent, or to the bot (``agent_id`` None)."""

    agent_id: int | None
    count: int
    average: float


@dataclass(frozen=True, slots=True)
class DeskFigures:
    """The dashboard's figures of one period.

    Attributes:
        conversations: Conversations started in the period.
        never_handed_off: Of those, how many never went to people (the bot answered, or
            could not and the customer did not ask for a person).
        handed_off: Handoffs requested in the period.
        by_reason: Handoffs per reason, most frequent first (reasons with none left out).
        per_day: Handoffs per day of the period, in order, days without any included.
        median_wait_s: Median time from handoff to claim of the claimed handoffs (None: none).
        claimed: How many of the period's handoffs were claimed.
        satisfaction: Average rating and count over all ratings (None: no ratings).
        by_agent: The same per agent and for the bot (``agent_id`` None), best first.
        promised: Claimed handoffs of the period whose customer was told a wait range.
        promises_kept: Of those, how many were claimed no later than the range told.
    """

    conversations: int
    never_handed_off: int
    handed_off: int
    by_reason: tuple[tuple[HandoffReason, int], ...]
    per_day: tuple[tuple[date, int], ...]
    median_wait_s: int | None
    claimed: int
    satisfaction: Satisfaction | None
    by_agent: tuple[Satisfaction, ...]
    promised: int = 0
    promises_kept: int = 0


def desk_figures(activity: PeriodActivity, *, time_zone: tzinfo) -> DeskFigures:
    """Compute the dashboard's figures of a period.

    Args:
        activity: The period's rows, from the store.
        time_zone: Where days begin and end, for the handoffs per day.

    Returns:
        The figures; a period without any activity gives zeros and Nones.
    """
    since, until = activity.since, activity.until
    in_period = [h for h in activity.handoffs if since <= h.requested_at < until]
    handed_off_ids = {h.conversation_id for h in activity.handoffs}
    never_handed_off = sum(1 for c in activity.conversations if c.id not in handed_off_ids)
    reasons = Counter(h.reason for h in in_period)
    waits = [
        (h.claimed_at - h.requested_at).total_seconds()
        for h in in_period
        if h.claimed_at is not None
    ]
    told = [
        (h, promise)
        for h in in_period
        if h.claimed_at is not None and (promise := promise_of(h)) is not None
    ]
    return DeskFigures(
        conversations=len(activity.conversations),
        never_handed_off=never_handed_off,
        handed_off=len(in_period),
        by_reason=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0].value))),
        per_day=per_day(in_period, since=since, until=until, time_zone=time_zone),
        median_wait_s=round(statistics.median(waits)) if waits else None,
        claimed=len(waits),
        satisfaction=_satisfaction(None, activity.ratings) if activity.ratings else None,
        by_agent=by_agent(activity.ratings),
        promised=len(told),
        promises_kept=sum(1 for h, promise in told if promise_kept(h, promise, until)),
    )


def per_day(
    handoffs: Sequence[Handoff], *, since: datetime, until: datetime, time_zone: tzinfo
) -> tuple[tuple[date, int], ...]:
    """Handoffs per local day from ``since`` to ``until``, days without handoffs as 0."""
    counts = Counter(h.requested_at.astimezone(time_zone).date() for h in handoffs)
    first = since.astimezone(time_zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(time_zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return tuple((day, counts.get(day, 0)) for day in days)


def by_agent(ratings: Sequence[Feedback]) -> tuple[Satisfaction, ...]:
    """Satisfaction per credited agent and for the bot, best average first."""
    credited: dict[int | None, list[Feedback]] = {}
    for rating in ratings:
        credited.setdefault(rating.agent_id, []).append(rating)
    found = [_satisfaction(agent_id, given) for agent_id, given in credited.items()]
    return tuple(sorted(found, key=lambda s: (-s.average, -s.count, s.agent_id or 0)))


def _satisfaction(agent_id: int | None, ratings: Sequence[Feedback]) -> Satisfaction:
    values = [r.rating for r in ratings if r.rating is not None]
    average = round(statistics.fmean(values), 2) if values else 0.0
    return Satisfaction(agent_id=agent_id, count=len(values), average=average)
