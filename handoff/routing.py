"""Routing: which team a handoff goes to, and which agent in it takes it. Pure, no I/O.

The store calls :func:`choose_agent` inside the transaction that claims the conversation,
so the choice and the claim are one atomic step (see ``handoff.store.ownership``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from handoff.agents import WEEKDAYS
from handoff.model import Agent, Presence

# An agent never assigned counts as idle since the beginning of time: they go first.
_NEVER = datetime.min.replace(tzinfo=UTC)


def pick_team(
    *,
    article_team: str | None,
    language: str | None,
    language_teams: Mapping[str, str],
    default_team: str | None,
) -> str | None:
    """The team whose queue a handoff joins.

    The answered article's team knows the topic best; without one, a team configured for
    the customer's language; otherwise the default team (None: the shared queue).
    """
    if article_team:
        return article_team
    if language is not None and language in language_teams:
        return language_teams[language]
    return default_team


def on_shift(working_hours: Mapping[str, tuple[str, ...]], local: datetime) -> bool:
    """Whether the local time falls within weekly working hours (none set: always).

    Args:
        working_hours: weekday (``mon`` .. ``sun``) to spans such as ``"09:00-17:00"``.
        local: the time on the clock the hours are kept on.
    """
    if not working_hours:
        return True
    clock = f"{local:%H:%M}"
    day = WEEKDAYS[local.weekday()]
    for span in working_hours.get(day, ()):
        start, _, end = span.partition("-")
        if start <= clock < (end if end != "24:00" else "24:01"):
            return True
    return False


def effective_presence(agent: Agent, *, now: datetime, away_after: timedelta) -> Presence:
    """The agent's presence as routing sees it.

    An agent who set "online" but has not touched the console for ``away_after`` counts as
    away: a forgotten browser tab must not attract customers.
    """
    if agent.presence is not Presence.ONLINE:
        return agent.presence
    if agent.last_seen_at is None or now - agent.last_seen_at > away_after:
        return Presence.AWAY
    return Presence.ONLINE


def serves_team(agent: Agent, team: str | None) -> bool:
    """Tell whether the agent takes conversations of ``team`` (None: everyone's)."""
    return team is None or team in agent.teams


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agent who could take a conversation, with what routing weighs.

    Attributes:
        agent_id: the agent.
        load: conversations the agent owns right now.
        capacity: the most conversations the agent takes at once.
        last_assigned_at: when the agent last got a conversation (None: never).
        speaks: the agent speaks the customer's language (or either is unknown).
        on_shift: now is within the agent's working hours (or they set none).
    """

    agent_id: int
    load: int
    capacity: int
    last_assigned_at: datetime | None
    speaks: bool = True
    on_shift: bool = True


def choose_agent(candidates: Iterable[Candidate], *, exclude: int | None = None) -> int | None:
    """The agent who takes the conversation, or None when it must wait in the queue.

    Only agents with free capacity qualify, never ``exclude`` (who just released it).
    An agent who speaks the customer's language goes first, then one within their working
    hours (online outside them, e.g. finishing off, they are a last resort); then the least
    loaded wins, ties go to whoever has waited longest since their last assignment, then
    to the lower id so the choice is deterministic.
    """
    free: Sequence[Candidate] = [
        c for c in candidates if c.load < c.capacity and c.agent_id != exclude
    ]
    if not free:
        return None
    best = min(
        free,
        key=lambda c: (
            not c.speaks,
            not c.on_shift,
            c.load,
            c.last_assigned_at or _NEVER,
            c.agent_id,
        ),
    )
    return best.agent_id


def candidates_for(
    agents: Iterable[Agent],
    loads: Mapping[int, int],
    *,
    team: str | None,
    now: datetime,
    away_after: timedelta,
    language: str | None = None,
    time_zone: tzinfo = UTC,
) -> list[Candidate]:
    """The active, effectively online agents of ``team`` as routing candidates.

    Args:
        agents: every agent.
        loads: conversations each agent owns now.
        team: the conversation's team (None: anyone's).
        now: the current time.
        away_after: "online" without console activity this long counts as away.
        language: the customer's language, if known.
        time_zone: the clock agents' working hours are kept on (the deployment's).
    """
    return [
        Candidate(
            agent_id=agent.id,
            load=loads.get(agent.id, 0),
            capacity=agent.capacity,
            last_assigned_at=agent.last_assigned_at,
            speaks=language is None or not agent.languages or language in agent.languages,
            on_shift=on_shift(agent.working_hours, now.astimezone(time_zone)),
        )
        for agent in agents
        if agent.active
        and serves_team(agent, team)
        and effective_presence(agent, now=now, away_after=away_after) is Presence.ONLINE
    ]
