"""The pure statistics of the dashboard: per-day series and empty periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from handoff.model import Handoff, HandoffReason
from handoff.stats import PeriodActivity, desk_figures, per_day

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _handoff(at: datetime) -> Handoff:
    return Handoff(
        id=1,
        conversation_id=uuid4(),
        reason=HandoffReason.CUSTOMER_ASKED,
        team=None,
        requested_at=at,
        claimed_at=None,
        resolved_at=None,
        agent_id=None,
        summary=None,
        promised_wait_s=None,
    )


def test_per_day_lists_days_without_handoffs_as_zero() -> None:
    series = per_day(
        [_handoff(START), _handoff(START + timedelta(days=2))],
        since=START,
        until=START + timedelta(days=3),
        time_zone=UTC,
    )
    assert series == (
        (date(2026, 3, 2), 1),
        (date(2026, 3, 3), 0),
        (date(2026, 3, 4), 1),
        (date(2026, 3, 5), 0),
    )


def test_per_day_counts_in_the_deployments_time_zone() -> None:
    late_evening_utc = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 3 March in Copenhagen
    series = per_day(
        [_handoff(late_evening_utc)],
        since=late_evening_utc,
        until=late_evening_utc + timedelta(minutes=1),
        time_zone=ZoneInfo("Europe/Copenhagen"),
    )
    assert series == ((date(2026, 3, 3), 1),)


def test_an_empty_period_gives_zeros_and_no_averages() -> None:
    activity = PeriodActivity(
        since=START, until=START + timedelta(days=1), conversations=(), handoffs=(), ratings=()
    )
    figures = desk_figures(activity, time_zone=UTC)
    assert (figures.conversations, figures.handed_off, figures.median_wait_s) == (0, 0, None)
    assert figures.satisfaction is None


def test_the_figures_count_how_often_the_promised_wait_held() -> None:
    def claimed(after_s: int, low_s: int | None, high_s: int | None) -> Handoff:
        return replace(
            _handoff(START),
            claimed_at=START + timedelta(seconds=after_s),
            promised_low_s=low_s,
            promised_high_s=high_s,
        )

    activity = PeriodActivity(
        since=START,
        until=START + timedelta(days=1),
        conversations=(),
        handoffs=(
            claimed(200, 0, 300),
            claimed(400, 0, 300),
            claimed(60, 300, 1200),  # sooner than told: the customer was not let down
            claimed(100, None, None),
        ),
        ratings=(),
    )
    figures = desk_figures(activity, time_zone=UTC)
    assert (figures.promised, figures.promises_kept) == (3, 2)
