"""One turn's figure and its words: what a customer is told about the wait, in one place.

A :class:`WaitQuote` is read once per turn (by :class:`bot.desk.status.DeskStatus`) and
everything said in that turn is worded from it by :class:`QuoteWords`, which is pure: the
notice's placeholders, the expected-wait sentence and the closed-desk acknowledgement never
disagree.

Times are worded on the wall clock of the team's office hours (else the deployment's time
zone); a team that keeps its hours in another zone than the deployment's gets the zone's
name after the time ("08:00 EST"), since a bare time would be read on the deployment's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handoff.estimate import WaitEstimate
from handoff.office_hours import DeskHours
from handoff.wait_text import (
    WaitKind,
    WaitWording,
    eta_phrase,
    opening_phrase,
    wait_wording,
)


@dataclass(frozen=True, slots=True)
class WaitQuote:
    """One turn's figure: everything the customer is told in one turn comes from it.

    Attributes:
        team: the queue.
        position: the customer's place in it, or the place they would get (1: next).
        estimate: the expected wait from that place (None: no honest number).
        open_now: whether the team's office hours are on.
        opening: when the team is next open, if it is closed now (None: open, or never).
        now: when the figure was read.
    """

    team: str | None
    position: int
    estimate: WaitEstimate | None
    open_now: bool
    opening: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class QuoteWords:
    """Words for quotes, on the right clock.

    Attributes:
        hours: office hours of every team (their time zones).
        time_zone: the deployment's, for teams without office hours.
    """

    hours: DeskHours
    time_zone: ZoneInfo

    def eta(self, quote: WaitQuote, language: str) -> str:
        """The quote's wait as a noun phrase ("about 10-20 minutes", "a reply from 08:00")."""
        return eta_phrase(self.eta_wording(quote), language)

    def promise(self, quote: WaitQuote) -> tuple[int, int] | None:
        """The wait range in seconds as the customer reads it ("about 10-20 minutes" is
        600-1200), or None when no number is told (closed, or nobody on shift)."""
        wording = self.eta_wording(quote)
        if wording.kind not in (WaitKind.LESS_THAN, WaitKind.RANGE):
            return None
        return wording.low_min * 60, wording.high_min * 60

    def placeholders(self, quote: WaitQuote, language: str) -> dict[str, str]:
        """A notice's ``{eta}``, ``{position}`` and ``{next_open}`` for one quote.

        Each is a phrase that fits its place in a sentence in every state of the desk:
        ``{eta}`` a noun phrase ("expect {eta}"), ``{position}`` a number ("number
        {position} in the queue"), ``{next_open}`` an adverbial of time ("we are back
        {next_open}").
        """
        return {
            "eta": eta_phrase(self.eta_wording(quote), language),
            "position": str(quote.position),
            "next_open": opening_phrase(self.opening_wording(quote), language),
        }

    def eta_wording(self, quote: WaitQuote) -> WaitWording:
        """The quote's wait rounded for people, on the team's clock."""
        local = self.local(quote.team)
        opening = quote.opening if not quote.open_now else None
        return wait_wording(
            quote.estimate,
            quote.now.astimezone(local),
            opens_at=None if opening is None else opening.astimezone(local),
            zone_label=self.zone_label(quote.team, opening or quote.now),
        )

    def opening_wording(self, quote: WaitQuote) -> WaitWording | None:
        """The next opening's wording; None while open; UNKNOWN when none is coming."""
        if quote.open_now:
            return None
        if quote.opening is None:
            return WaitWording(WaitKind.UNKNOWN)
        local = self.local(quote.team)
        return wait_wording(
            None,
            quote.now.astimezone(local),
            opens_at=quote.opening.astimezone(local),
            zone_label=self.zone_label(quote.team, quote.opening),
        )

    def local(self, team: str | None) -> ZoneInfo:
        """The clock ``team``'s times are read on."""
        return self.hours.local_time_zone(team) or self.time_zone

    def zone_label(self, team: str | None, at: datetime) -> str | None:
        """The zone's name at ``at`` when a team keeps hours in another zone than the
        deployment's: a bare "08:00" would be read on the deployment's clock."""
        local = self.local(team)
        if local.key == self.time_zone.key:
            return None
        return at.astimezone(local).tzname() or local.key
