"""Agent profiles: weekly working hours as staff type them. Pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _days(text: str) -> list[str]:
    if "-" in text:
        first, last = text.split("-", 1)
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"unknown weekday range {text!r}: use mon, tue, ... sun")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
        if end < start:
            raise ValueError(f"weekday range {text!r} runs backwards")
        return list(WEEKDAYS[start : end + 1])
    if text not in WEEKDAYS:
        raise ValueError(f"unknown weekday {text!r}: use mon, tue, ... sun")
    return [text]


def _span(text: str) -> str:
    match = _SPAN.match(text)
    if match is None:
        raise ValueError(f"working hours {text!r}: use HH:MM-HH:MM")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end <= start or end > 24 * 60:
        raise ValueError(f"working hours {text!r}: the end must come after the start")
    return text


def parse_working_hours(specs: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Read weekly working hours such as ``mon-fri=09:00-17:00`` or ``sat=10:00-12:00,13:00-15:00``.

    Returns:
        Each weekday with its spans, in week order; days not mentioned are days off.

    Raises:
        ValueError: a day, a range or a time is malformed; the message names it.
    """
    hours: dict[str, list[str]] = {}
    for spec in specs:
        days, sep, spans = spec.strip().lower().partition("=")
        if not sep or not spans:
            raise ValueError(f"working hours {spec!r}: use DAYS=HH:MM-HH:MM")
        for day in _days(days.strip()):
            hours.setdefault(day, []).extend(_span(s.strip()) for s in spans.split(","))
    return {day: tuple(sorted(hours[day])) for day in WEEKDAYS if day in hours}


def format_working_hours(hours: dict[str, tuple[str, ...]]) -> str:
    """Working hours in one line, e.g. ``mon 09:00-17:00; tue 09:00-17:00``."""
    if not hours:
        return "-"
    return "; ".join(f"{day} {','.join(spans)}" for day, spans in hours.items())
