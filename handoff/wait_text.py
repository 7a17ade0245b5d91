"""Wait estimates in words a customer reads: "about 10-20 minutes", "we are back at 08:00".

Two pure steps, so the bot can phrase the sentence around the words and tests can check
each: :func:`wait_wording` rounds an estimate into human buckets (a structured
:class:`WaitWording`), then it is rendered in English or Danish in one of three forms, each
fitting its own kind of sentence:

* :func:`format_wait`, a clause or a length: "about 10-20 minutes", "we are back at 08:00
  tomorrow" (the bot's own sentences: "Our team is away right now: {when}.");
* :func:`eta_phrase`, always a noun phrase: "about 10-20 minutes", "a reply from 08:00
  tomorrow", "a reply as soon as someone is free" (a notice's ``{eta}``: "expect {eta}");
* :func:`opening_phrase`, always an adverbial of time: "now", "at 08:00 tomorrow", "on
  Monday at 08:00" (a notice's ``{next_open}``: "we are back {next_open}").

Times are shown in the time zone of the ``now`` given to :func:`wait_wording`; a wording
may carry a zone label ("08:00 UTC") for when that zone is not the one customers assume.
The bucket never says zero: the shortest is "less than 5 minutes".

Buckets: the 80% range is widened outwards to 5-minute steps up to 30 minutes, 15-minute
steps up to 90, 30-minute steps up to 2 hours, then whole hours. A range that starts at zero
becomes "less than ...".
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime

from handoff.estimate import WaitEstimate

#: The shortest bucket, in minutes.
SHORTEST_MIN = 5

_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DA_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DA_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip

_TEMPLATES = {
    "en": {
        "less_than_min": "less than {high} minutes",
        "range_min": "about {low}-{high} minutes",
        "less_than_h": "less than {high} hours",
        "range_h": "about {low}-{high} hours",
        "back_today": "we are back at {time}",
        "back_tomorrow": "we are back at {time} tomorrow",
        "back_weekday": "we are back at {time} on {weekday}",
        "back_date": "we are back at {time} on {day} {month}",
        "unknown": "a person will reply as soon as someone is available",
        "eta_back_today": "a reply from {time}",
        "eta_back_tomorrow": "a reply from {time} tomorrow",
        "eta_back_weekday": "a reply from {time} on {weekday}",
        "eta_back_date": "a reply from {time} on {day} {month}",
        "eta_unknown": "a reply as soon as someone is free",
        "open_now": "now",
        "open_today": "at {time}",
        "open_tomorrow": "at {time} tomorrow",
        "open_weekday": "at {time} on {weekday}",
        "open_date": "at {time} on {day} {month}",
        "open_unknown": "as soon as someone is free",
    },
    "da": {
        "less_than_min": "mindre end {high} minutter",
        "range_min": "cirka {low}-{high} minutter",
        "less_than_h": "mindre end {high} timer",
        "range_h": "cirka {low}-{high} timer",
        # Danish names the day before the time ("i morgen kl. 8.00").
        "back_today": "vi er tilbage kl. {time}",
        "back_tomorrow": "vi er tilbage i morgen kl. {time}",
        "back_weekday": "vi er tilbage {weekday} kl. {time}",
        "back_date": "vi er tilbage den {day}. {month} kl. {time}",
        "unknown": "en medarbejder svarer, så snart der er en ledig",
        "eta_back_today": "svar fra kl. {time}",
        "eta_back_tomorrow": "svar fra i morgen kl. {time}",
        "eta_back_weekday": "svar fra {weekday} kl. {time}",
        "eta_back_date": "svar fra den {day}. {month} kl. {time}",
        "eta_unknown": "svar, så snart en medarbejder er ledig",
        "open_now": "nu",
        "open_today": "kl. {time}",
        "open_tomorrow": "i morgen kl. {time}",
        "open_weekday": "{weekday} kl. {time}",
        "open_date": "den {day}. {month} kl. {time}",
        "open_unknown": "så snart en medarbejder er ledig",
    },
}


class WaitKind(enum.StrEnum):
    """The shape of the words."""

    LESS_THAN = "less_than"
    RANGE = "range"
    BACK_AT = "back_at"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class WaitWording:
    """A wait rounded for people.

    Attributes:
        kind: Which sentence shape applies.
        low_min: Lower end in minutes (RANGE only; otherwise 0).
        high_min: Upper end in minutes (LESS_THAN and RANGE; otherwise 0).
        back_at: When people are back (BACK_AT only).
        days_ahead: Calendar days from now to ``back_at`` (0: today).
        zone_label: Shown after the time ("08:00 UTC") when the reader could assume
            another time zone; None: the time alone.
    """

    kind: WaitKind
    low_min: int = 0
    high_min: int = 0
    back_at: datetime | None = None
    days_ahead: int = 0
    zone_label: str | None = None


def wait_wording(
    estimate: WaitEstimate | None,
    now: datetime,
    *,
    opens_at: datetime | None = None,
    zone_label: str | None = None,
) -> WaitWording:
    """Round an estimate into the bucket a customer is told.

    Args:
        estimate: From :func:`handoff.estimate.estimate_wait` (None: nobody scheduled).
        now: The current time, for "today" and "tomorrow".
        opens_at: The next opening time when the desk is closed now (out of office hours).
        zone_label: Label the time of a BACK_AT wording with this zone name.

    Returns:
        BACK_AT when the desk is closed or nobody is on shift until later, UNKNOWN when
        nobody is scheduled at all, else a LESS_THAN or RANGE bucket.
    """
    back_at = opens_at if opens_at is not None and opens_at > now else None
    if back_at is None and estimate is not None:
        back_at = estimate.available_at
    if back_at is not None:
        if back_at.tzinfo is not None and now.tzinfo is not None:
            # The estimate's times are in whatever zone the clock gave; people read them on
            # the wall clock of ``now`` (read in UTC, 08:00 in Copenhagen was told as 07:00).
            back_at = back_at.astimezone(now.tzinfo)
        days = (back_at.date() - now.date()).days
        return WaitWording(
            WaitKind.BACK_AT, back_at=back_at, days_ahead=days, zone_label=zone_label
        )
    if estimate is None:
        return WaitWording(WaitKind.UNKNOWN)
    low_min, high_min = estimate.low_s / 60, estimate.high_s / 60
    if high_min <= SHORTEST_MIN:
        return WaitWording(WaitKind.LESS_THAN, high_min=SHORTEST_MIN)
    step = _step(high_min)
    high = math.ceil(high_min / step) * step
    low = math.floor(low_min / step) * step
    if low == 0:
        return WaitWording(WaitKind.LESS_THAN, high_min=high)
    # A range is a range: an exact point on a step still gets one step of width.
    return WaitWording(WaitKind.RANGE, low_min=low, high_min=max(high, low + step))


def _step(high_min: float) -> int:
    """Rounding step in minutes: coarser as the wait grows, as people say it."""
    if high_min <= 30:
        return 5
    if high_min <= 90:
        return 15
    if high_min <= 120:
        return 30
    return 60


def format_wait(wording: WaitWording, language: str) -> str:
    """The words for ``wording`` in ``language`` ("en" or "da"; others fall back to "en").

    The result is a phrase to place in a sentence ("Expected wait: about 10-20 minutes.").
    """
    lang = language if language in _TEMPLATES else "en"
    templates = _TEMPLATES[lang]
    if wording.kind is WaitKind.UNKNOWN:
        return templates["unknown"]
    if wording.kind is WaitKind.BACK_AT:
        return _format_back(wording, lang)
    # Above two hours, minutes are whole hours by construction.
    in_hours = wording.high_min > 120
    unit = 60 if in_hours else 1
    suffix = "h" if in_hours else "min"
    key = "less_than" if wording.kind is WaitKind.LESS_THAN else "range"
    return templates[f"{key}_{suffix}"].format(
        low=wording.low_min // unit, high=wording.high_min // unit
    )


def _format_back(wording: WaitWording, lang: str, prefix: str = "back") -> str:
    """A BACK_AT wording with the templates ``{prefix}_today`` ... ``{prefix}_date``."""
    templates = _TEMPLATES[lang]
    at = wording.back_at
    if at is None:
        return templates["unknown"]
    clock = _clock(at, lang) + (f" {wording.zone_label}" if wording.zone_label else "")
    if wording.days_ahead <= 0:
        return templates[f"{prefix}_today"].format(time=clock)
    if wording.days_ahead == 1:
        return templates[f"{prefix}_tomorrow"].format(time=clock)
    if wording.days_ahead < 7:
        weekdays = _DA_WEEKDAYS if lang == "da" else _EN_WEEKDAYS
        return templates[f"{prefix}_weekday"].format(time=clock, weekday=weekdays[at.weekday()])
    months = _DA_MONTHS if lang == "da" else _EN_MONTHS
    return templates[f"{prefix}_date"].format(time=clock, day=at.day, month=months[at.month - 1])


def _clock(at: datetime, lang: str) -> str:
    """The time of day as people write it: "08:00" in English, "8.00" in Danish."""
    if lang == "da":
        return f"{at.hour}.{at:%M}"
    return f"{at:%H:%M}"


def eta_phrase(wording: WaitWording, language: str) -> str:
    """The wait as a noun phrase, whatever its kind: what a notice's ``{eta}`` becomes.

    It fits "expect {eta}" and "Expected wait: {eta}": "about 10-20 minutes", "less than
    5 minutes", "a reply from 08:00 tomorrow", "a reply as soon as someone is free".
    """
    lang = language if language in _TEMPLATES else "en"
    if wording.kind is WaitKind.UNKNOWN or (
        wording.kind is WaitKind.BACK_AT and wording.back_at is None
    ):
        return _TEMPLATES[lang]["eta_unknown"]
    if wording.kind is WaitKind.BACK_AT:
        return _format_back(wording, lang, "eta_back")
    return format_wait(wording, lang)


def opening_phrase(wording: WaitWording | None, language: str) -> str:
    """When people are at the desk, as an adverbial of time: a notice's ``{next_open}``.

    Args:
        wording: A BACK_AT wording of the next opening; None while the desk is open;
            UNKNOWN when no opening is coming.
        language: "en" or "da" (others fall back to "en").

    Returns:
        A phrase that fits "we are back {next_open}": "now", "at 08:00", "at 08:00
        tomorrow", "at 08:00 on Monday", "as soon as someone is free".
    """
    lang = language if language in _TEMPLATES else "en"
    if wording is None:
        return _TEMPLATES[lang]["open_now"]
    if wording.kind is not WaitKind.BACK_AT or wording.back_at is None:
        return _TEMPLATES[lang]["open_unknown"]
    return _format_back(wording, lang, "open")
