"""The desk's recent handoffs as handle times and queue outcomes, per team."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from handoff.estimate import WaitOutcome
from handoff.model import Handoff, HandoffReason
from handoff.office_hours import DeskHours, build_office_hours
from handoff.wait_history import TeamHistory, merged, team_histories

MONDAY_10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
NOW = MONDAY_10 + timedelta(hours=2)
HOURS = DeskHours(
    default=build_office_hours(
        time_zone="Europe/Copenhagen",
        weekly={d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    )
)


def _handoff(
    requested: datetime,
    *,
    claimed_after: float | None = None,
    ended_after: float | None = None,
    team: str | None = "it-support",
) -> Handoff:
    def at(minutes: float | None) -> datetime | None:
        return None if minutes is None else requested + timedelta(minutes=minutes)

    return Handoff(
        id=1,
        conversation_id=uuid4(),
        reason=HandoffReason.CUSTOMER_ASKED,
        team=team,
        requested_at=requested,
        claimed_at=at(claimed_after),
        resolved_at=at(ended_after),
        agent_id=None if claimed_after is None else 1,
        summary=None,
        promised_wait_s=None,
    )


CASES = [
    (
        "claimed after 3 min, resolved 20 min later",
        _handoff(MONDAY_10, claimed_after=3, ended_after=23),
        TeamHistory((1200.0,), (WaitOutcome(180.0, gave_up=False),)),
    ),
    (
        "ended by the customer after 7 min, nobody came",
        _handoff(MONDAY_10, ended_after=7),
        TeamHistory((), (WaitOutcome(420.0, gave_up=True),)),
    ),
    (
        "still waiting after 30 min: waited at least that long",
        _handoff(NOW - timedelta(minutes=30)),
        TeamHistory((), (WaitOutcome(1800.0, gave_up=False),)),
    ),
    (
        "asked at 06:00, claimed at 08:05: five minutes of the desk's time",
        _handoff(MONDAY_10 - timedelta(hours=4), claimed_after=125),
        TeamHistory((), (WaitOutcome(300.0, gave_up=False),)),
    ),
    (
        "asked at 06:00, ended at 07:00: it never waited on people",
        _handoff(MONDAY_10 - timedelta(hours=4), ended_after=60),
        TeamHistory(),
    ),
]


@pytest.mark.parametrize(("handoff", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_handoff_tells_its_handle_time_and_how_its_wait_ended(
    handoff: Handoff, expected: TeamHistory
) -> None:
    assert team_histories([handoff], now=NOW, hours=HOURS).get("it-support", TeamHistory()) == (
        expected
    )


def test_teams_are_kept_apart_and_the_desk_is_all_of_them() -> None:
    ours = _handoff(MONDAY_10, claimed_after=1, ended_after=11)
    theirs = replace(ours, team="accounts", claimed_at=MONDAY_10 + timedelta(minutes=2))
    histories = team_histories([ours, theirs], now=NOW, hours=HOURS)
    assert [len(histories[t].waits) for t in ("it-support", "accounts")] == [1, 1]
    assert len(merged(histories.values()).waits) == 2
