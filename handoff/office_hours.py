"""Office hours: when people are at the desk, per team. Pure: the caller passes the time.

A team's hours are weekly opening spans in a time zone (``zoneinfo``), plus closure dates
that override a weekday: closed all day (a holiday) or open for other spans (a half day).
Times are local wall-clock times, so a span keeps its local start and end across daylight
saving changes. A team without hours of its own uses the default hours; a deployment with
no hours at all is always open.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: How far ahead :meth:`OfficeHours.next_open` looks before saying "never".
HORIZON_DAYS = 400


@dataclass(frozen=True, slots=True)
class Span:
    """Open from ``start`` until before ``end`` on one local day; ``end`` None is midnight."""

    start: time
    end: time | None

    def contains(self, moment: time) -> bool:
        """Tell whether a local wall-clock time falls in the span."""
        return self.start <= moment and (self.end is None or moment < self.end)


def parse_spans(text: str) -> tuple[Span, ...]:
    """Parse ``"08:00-12:00, 13:00-16:30"`` (empty: closed) into spans.

    ``24:00`` is accepted as an end meaning midnight.

    Raises:
        ValueError: a span is malformed, empty or the spans overlap.
    """
    spans: list[Span] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"office hours {part!r}: write them as HH:MM-HH:MM")
        start = _clock_time(start_text)
        end = None if end_text.strip() == "24:00" else _clock_time(end_text)
        if end is not None and end <= start:
            raise ValueError(f"office hours {part!r}: the end must come after the start")
        spans.append(Span(start, end))
    spans.sort(key=lambda s: s.start)
    for earlier, later in itertools.pairwise(spans):
        if earlier.end is None or later.start < earlier.end:
            raise ValueError(f"office hours {text!r}: the spans overlap")
    return tuple(spans)


def _clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"office hours: {text.strip()!r} is not a time like 08:30") from exc


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``.

    Raises:
        ValueError: no such time zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """One team's opening hours.

    Attributes:
        time_zone: where the hours are kept.
        weekly: spans per weekday, Monday = 0; a missing day is closed.
        closures: dates whose spans replace the weekday's (empty tuple: closed all day).
    """

    time_zone: ZoneInfo
    weekly: Mapping[int, tuple[Span, ...]]
    closures: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The opening spans of one local date."""
        if day in self.closures:
            return self.closures[day]
        return self.weekly.get(day.weekday(), ())

    def is_open(self, at: datetime) -> bool:
        """Tell whether people are at the desk at the aware moment ``at``."""
        local = at.astimezone(self.time_zone)
        return any(s.contains(local.time()) for s in self.spans_on(local.date()))

    def next_open(self, after: datetime) -> datetime | None:
        """The first moment at or after ``after`` when the desk is open (None: never).

        Returns ``after`` itself when the desk is open then.
        """
        if self.is_open(after):
            return after
        local = after.astimezone(self.time_zone)
        for offset in range(HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            for span in self.spans_on(day):
                # fold=0 and a later normalisation map a start inside a DST gap forward.
                start = datetime.combine(day, span.start, tzinfo=self.time_zone)
                start = start.astimezone(after.tzinfo).astimezone(self.time_zone)
                if start >= after:
                    return start.astimezone(after.tzinfo)
        return None


@dataclass(frozen=True, slots=True)
class DeskHours:
    """Office hours of every team, with a default for teams without their own.

    Attributes:
        teams: hours per team id.
        default: hours of any other team (and of the shared queue); None: always open.
    """

    teams: Mapping[str, OfficeHours] = field(default_factory=dict)
    default: OfficeHours | None = None

    def hours_of(self, team: str | None) -> OfficeHours | None:
        """The hours that apply to ``team`` (None: always open)."""
        if team is not None and team in self.teams:
            return self.teams[team]
        return self.default

    def is_open(self, team: str | None, at: datetime) -> bool:
        """Tell whether ``team``'s people are at the desk at ``at``."""
        hours = self.hours_of(team)
        return hours is None or hours.is_open(at)

    def next_open(self, team: str | None, after: datetime) -> datetime | None:
        """When ``team`` is next open at or after ``after`` (None: never)."""
        hours = self.hours_of(team)
        return after if hours is None else hours.next_open(after)

    def local_time_zone(self, team: str | None) -> ZoneInfo | None:
        """The time zone ``team``'s hours are kept in, if it has hours."""
        hours = self.hours_of(team)
        return None if hours is None else hours.time_zone


def build_office_hours(
    *,
    time_zone: str,
    weekly: Mapping[str, str],
    closures: Mapping[date, str] | None = None,
) -> OfficeHours:
    """Build one team's hours from their written form.

    Args:
        time_zone: an IANA name such as ``Europe/Copenhagen``.
        weekly: day (``mon`` .. ``sun``) to spans such as ``"08:00-16:00"``; missing: closed.
        closures: date to the spans open that day (``""``: closed all day).

    Raises:
        ValueError: an unknown day or time zone, or malformed spans.
    """
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"office hours: unknown days {sorted(unknown)}; use {WEEKDAYS}")
    return OfficeHours(
        time_zone=zone(time_zone),
        weekly={WEEKDAYS.index(day): parse_spans(text) for day, text in weekly.items()},
        closures={day: parse_spans(text) for day, text in (closures or {}).items()},
    )
