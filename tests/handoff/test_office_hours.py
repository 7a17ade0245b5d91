"""Office hours: weekly spans in a time zone, closures and half days, the next opening."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from handoff.office_hours import DeskHours, OfficeHours, build_office_hours, parse_spans

CPH = "Europe/Copenhagen"
WEEKDAYS = {day: "08:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def it_hours() -> OfficeHours:
    """Weekdays 08-16 in Copenhagen; Christmas Eve closed, New Year's Eve a half day."""
    return build_office_hours(
        time_zone=CPH,
        weekly=WEEKDAYS,
        closures={date(2026, 12, 24): "", date(2026, 12, 31): "08:00-12:00"},
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (utc(2026, 3, 2, 7, 0), True),  # Monday 08:00 in Copenhagen (UTC+1)
        (utc(2026, 3, 2, 6, 59), False),  # 07:59 local
        (utc(2026, 3, 2, 15, 0), False),  # 16:00 local: the end is not included
        (utc(2026, 3, 7, 10, 0), False),  # Saturday
        (utc(2026, 7, 6, 6, 30), True),  # summer time: 08:30 local is 06:30 UTC
        (utc(2026, 12, 24, 10, 0), False),  # Christmas Eve, a Thursday
        (utc(2026, 12, 31, 10, 0), True),  # New Year's Eve morning
        (utc(2026, 12, 31, 12, 0), False),  # 13:00 local on the half day
    ],
)
def test_is_open(moment: datetime, is_open: bool) -> None:
    assert it_hours().is_open(moment) is is_open


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 10, 0)),  # open now: now
        (utc(2026, 3, 2, 20, 0), utc(2026, 3, 3, 7, 0)),  # Monday night: Tuesday 08:00
        (utc(2026, 3, 6, 16, 0), utc(2026, 3, 9, 7, 0)),  # Friday after closing: Monday
        (utc(2026, 12, 23, 16, 0), utc(2026, 12, 25, 7, 0)),  # skips Christmas Eve
        (utc(2026, 3, 27, 16, 0), utc(2026, 3, 30, 6, 0)),  # over the DST change: 08:00 CEST
    ],
)
def test_next_open(after: datetime, expected: datetime) -> None:
    assert it_hours().next_open(after) == expected


def test_a_desk_that_never_opens_has_no_next_opening() -> None:
    closed = build_office_hours(time_zone=CPH, weekly={})
    assert closed.next_open(utc(2026, 3, 2, 10, 0)) is None


def test_a_team_without_hours_uses_the_default() -> None:
    desk = DeskHours(
        teams={"night-owls": build_office_hours(time_zone="UTC", weekly={})}, default=it_hours()
    )
    saturday = utc(2026, 3, 7, 10, 0)
    assert desk.is_open("accounts", saturday) is False
    assert desk.next_open("accounts", saturday) == utc(2026, 3, 9, 7, 0)


def test_without_any_hours_the_desk_is_always_open() -> None:
    desk = DeskHours()
    saturday = utc(2026, 3, 7, 3, 0)
    assert desk.is_open("it-support", saturday)
    assert desk.next_open("it-support", saturday) == saturday


def test_several_spans_a_day_and_midnight() -> None:
    assert [
        (s.start.hour, s.end.hour if s.end else 24) for s in parse_spans("13:00-24:00, 08:00-12:00")
    ] == [(8, 12), (13, 24)]


@pytest.mark.parametrize(
    "text", ["08:00", "16:00-08:00", "08:00-12:00,11:00-13:00", "8am-4pm", "08:00-08:00"]
)
def test_malformed_spans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="office hours"):
        parse_spans(text)


@pytest.mark.parametrize(
    ("time_zone", "weekly"),
    [("Mars/Olympus", WEEKDAYS), (CPH, {"monday": "08:00-16:00"})],
)
def test_unknown_time_zones_and_days_are_refused(time_zone: str, weekly: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="unknown"):
        build_office_hours(time_zone=time_zone, weekly=weekly)
