"""Agents' weekly working hours as staff type them."""

from __future__ import annotations

import pytest

from handoff.agents import format_working_hours, parse_working_hours


def test_a_weekday_range_expands_to_each_day() -> None:
    hours = parse_working_hours(["mon-wed=09:00-17:00", "sat=10:00-12:00,13:00-15:00"])
    assert hours == {
        "mon": ("09:00-17:00",),
        "tue": ("09:00-17:00",),
        "wed": ("09:00-17:00",),
        "sat": ("10:00-12:00", "13:00-15:00"),
    }


@pytest.mark.parametrize(
    "spec", ["mon", "xyz=09:00-17:00", "fri-mon=09:00-17:00", "mon=9-17", "mon=17:00-09:00"]
)
def test_malformed_hours_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"weekday|working hours"):
        parse_working_hours([spec])


def test_hours_print_on_one_line() -> None:
    assert format_working_hours({"mon": ("09:00-17:00",)}) == "mon 09:00-17:00"
