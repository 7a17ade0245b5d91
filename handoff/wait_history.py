"""What the desk's own recent handoffs say about waits: handle times and queue outcomes. Pure.

The wait estimator (:mod:`handoff.estimate`) fits its handle time and its customers'
patience to these, per team, so quotes follow the desk rather than the priors:

* a handle time is claim to resolve of a handoff an agent ended;
* a queue outcome is how a wait ended: claimed (served after ``waited_s``), or given up
  (the handoff ended with nobody claiming it: the customer ended the chat or left). A
  customer still waiting is a censored observation, "waited at least this long".

A wait is counted from when the desk was open: a customer who asked at night and was
claimed at 08:00 waited minutes of the desk's time, not the night (counting the night would
make every customer look endlessly patient).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handoff.estimate import WaitOutcome
from handoff.model import Handoff
from handoff.office_hours import DeskHours


@dataclass(frozen=True, slots=True)
class TeamHistory:
    """One team's recent observations, newest first."""

    handle_times_s: tuple[float, ...] = ()
    waits: tuple[WaitOutcome, ...] = ()


def team_histories(
    handoffs: Iterable[Handoff], *, now: datetime, hours: DeskHours
) -> dict[str | None, TeamHistory]:
    """Handle times and queue outcomes per team (None: the shared queue).

    Args:
        handoffs: recent handoffs, newest first (as the store lists them).
        now: the current time; open handoffs have waited until now so far.
        hours: office hours, to count waits from the opening.
    """
    handles: dict[str | None, list[float]] = defaultdict(list)
    waits: dict[str | None, list[WaitOutcome]] = defaultdict(list)
    for handoff in handoffs:
        team = handoff.team
        if handoff.claimed_at is not None and handoff.resolved_at is not None:
            handles[team].append((handoff.resolved_at - handoff.claimed_at).total_seconds())
        start = hours.next_open(team, handoff.requested_at) or handoff.requested_at
        if handoff.claimed_at is not None:
            end, gave_up = handoff.claimed_at, False
        elif handoff.resolved_at is not None:
            end, gave_up = handoff.resolved_at, True
        else:
            end, gave_up = now, False  # still waiting: censored at now
        if end > start:  # ended before the desk opened: it never waited on people
            waits[team].append(WaitOutcome((end - start).total_seconds(), gave_up))
    return {
        team: TeamHistory(tuple(handles.get(team, ())), tuple(waits.get(team, ())))
        for team in set(handles) | set(waits)
    }


def merged(histories: Iterable[TeamHistory]) -> TeamHistory:
    """Every team's observations together (the whole desk)."""
    handles: list[float] = []
    waits: list[WaitOutcome] = []
    for history in histories:
        handles.extend(history.handle_times_s)
        waits.extend(history.waits)
    return TeamHistory(tuple(handles), tuple(waits))
