"""What a notice's placeholders become: every template x every state of the desk x language.

The quotes are built the way ``DeskStatus.quote_for`` builds them (the real estimator on a
described desk), so the table reads exactly what a customer would read. The deployment
keeps office hours in Europe/Copenhagen; the clock is in UTC, as the service's is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.desk.quote import QuoteWords, WaitQuote
from handoff.estimate import AgentLoad, CapacityChange, DeskState, estimate_wait
from handoff.notices import render
from handoff.office_hours import DeskHours, build_office_hours

WEEKDAYS = {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
HOLIDAYS = {date(2026, 12, 24) + timedelta(days=n): "" for n in range(9)}  # to 1 January
HOURS = DeskHours(
    default=build_office_hours(time_zone="Europe/Copenhagen", weekly=WEEKDAYS, closures=HOLIDAYS),
    teams={
        # A team that keeps its hours on another clock: its times carry the zone's name.
        "night": build_office_hours(time_zone="America/New_York", weekly=WEEKDAYS),
        # A team with no coming opening at all (every day closed).
        "gone": build_office_hours(time_zone="Europe/Copenhagen", weekly={}),
    },
)

TUESDAY_10 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen, open
TUESDAY_6 = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 06:00, opens at 08:00 today
TUESDAY_21 = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)  # 21:00, opens at 08:00 tomorrow
SATURDAY = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # opens at 08:00 on Monday
CHRISTMAS = datetime(2026, 12, 23, 20, 0, tzinfo=UTC)  # closed until after the holidays


def _quote(
    team: str | None, now: datetime, *, position: int, agents: tuple[AgentLoad, ...]
) -> WaitQuote:
    """A quote as DeskStatus reads one: closed means nobody on shift until the opening."""
    open_now = HOURS.is_open(team, now)
    opening = None if open_now else HOURS.next_open(team, now)
    schedule = () if open_now or opening is None else (CapacityChange(at=opening, slots=3),)
    on_shift = agents if open_now else ()
    estimate = estimate_wait(DeskState(ahead=position - 1, agents=on_shift, schedule=schedule), now)
    return WaitQuote(team, position, estimate, open_now, opening, now)


FREE = (AgentLoad(capacity=2, load=0),)
BUSY = (AgentLoad(capacity=1, load=1), AgentLoad(capacity=1, load=1))

STATES = {
    "agents free": _quote(None, TUESDAY_10, position=1, agents=FREE),
    "queue": _quote(None, TUESDAY_10, position=6, agents=BUSY),
    "nobody online": _quote(None, TUESDAY_10, position=1, agents=()),
    "closed until a time": _quote(None, TUESDAY_6, position=2, agents=()),
    "closed until tomorrow": _quote(None, TUESDAY_21, position=1, agents=()),
    "closed for days": _quote(None, SATURDAY, position=1, agents=()),
    "closed for the holidays": _quote(None, CHRISTMAS, position=1, agents=()),
    "another zone's team": _quote("night", TUESDAY_6, position=1, agents=()),
    "unknown": _quote("gone", TUESDAY_10, position=1, agents=()),
}

#: What {eta}, {position} and {next_open} become, per state and language.
VALUES = {
    ("agents free", "en"): ("less than 5 minutes", "1", "now"),
    ("agents free", "da"): ("mindre end 5 minutter", "1", "nu"),
    ("queue", "en"): ("about 5-25 minutes", "6", "now"),
    ("queue", "da"): ("cirka 5-25 minutter", "6", "nu"),
    ("nobody online", "en"): ("a reply as soon as someone is free", "1", "now"),
    ("nobody online", "da"): ("svar, så snart en medarbejder er ledig", "1", "nu"),
    ("closed until a time", "en"): ("a reply from 08:00", "2", "at 08:00"),
    ("closed until a time", "da"): ("svar fra kl. 8.00", "2", "kl. 8.00"),
    ("closed until tomorrow", "en"): ("a reply from 08:00 tomorrow", "1", "at 08:00 tomorrow"),
    ("closed until tomorrow", "da"): ("svar fra i morgen kl. 8.00", "1", "i morgen kl. 8.00"),
    ("closed for days", "en"): ("a reply from 08:00 on Monday", "1", "at 08:00 on Monday"),
    ("closed for days", "da"): ("svar fra mandag kl. 8.00", "1", "mandag kl. 8.00"),
    ("closed for the holidays", "en"): (
        "a reply from 08:00 on 4 January",
        "1",
        "at 08:00 on 4 January",
    ),
    ("closed for the holidays", "da"): (
        "svar fra den 4. januar kl. 8.00",
        "1",
        "den 4. januar kl. 8.00",
    ),
    ("another zone's team", "en"): ("a reply from 08:00 EST", "1", "at 08:00 EST"),
    ("another zone's team", "da"): ("svar fra kl. 8.00 EST", "1", "kl. 8.00 EST"),
    ("unknown", "en"): ("a reply as soon as someone is free", "1", "as soon as someone is free"),
    ("unknown", "da"): (
        "svar, så snart en medarbejder er ledig",
        "1",
        "så snart en medarbejder er ledig",
    ),
}

#: The README's notice templates, each in English and Danish.
TEMPLATES = {
    "ill": {
        "en": "Two colleagues are ill today: expect {eta}.",
        "da": "To kolleger er syge i dag: forvent {eta}.",
    },
    "place": {
        "en": "Busy today: you are number {position} in the queue; expect {eta}.",
        "da": "Travlt i dag: du er nummer {position} i køen; forvent {eta}.",
    },
    "back": {
        "en": "The office is moving today; we are back {next_open}.",
        "da": "Kontoret flytter i dag; vi er tilbage {next_open}.",
    },
}

CASES = [
    (template, state, language)
    for template in TEMPLATES
    for state in STATES
    for language in ("en", "da")
]


WORDS = QuoteWords(hours=HOURS, time_zone=ZoneInfo("Europe/Copenhagen"))


@pytest.mark.parametrize(("template", "state", "language"), CASES)
def test_every_notice_reads_right_in_every_state(template: str, state: str, language: str) -> None:
    eta, position, next_open = VALUES[(state, language)]
    text = TEMPLATES[template][language]
    expected = text.replace("{eta}", eta).replace("{position}", position)
    expected = expected.replace("{next_open}", next_open)
    assert render(text, WORDS.placeholders(STATES[state], language)) == expected


def test_the_states_are_the_ones_described() -> None:
    assert (STATES["closed for the holidays"].opening, STATES["unknown"].opening) == (
        datetime(2027, 1, 4, 7, 0, tzinfo=UTC),
        None,
    )
