"""Routing: picking the team and the agent, as plain functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.model import Agent, Presence
from handoff.routing import Candidate, candidates_for, choose_agent, effective_presence, pick_team

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AWAY_AFTER = timedelta(minutes=5)


def _agent(
    agent_id: int,
    *,
    presence: Presence = Presence.ONLINE,
    seen_ago: float | None = 0,
    teams: tuple[str, ...] = ("it-support",),
    active: bool = True,
) -> Agent:
    return Agent(
        id=agent_id,
        login=f"a{agent_id}",
        name=f"A{agent_id}",
        teams=teams,
        languages=("en",),
        capacity=2,
        is_admin=False,
        active=active,
        presence=presence,
        last_seen_at=None if seen_ago is None else NOW - timedelta(seconds=seen_ago),
    )


@pytest.mark.parametrize(
    ("article_team", "language", "expected"),
    [
        ("security", "da", "security"),
        (None, "da", "danish-desk"),
        (None, "en", "it-support"),
        (None, None, "it-support"),
    ],
)
def test_pick_team(article_team: str | None, language: str | None, expected: str) -> None:
    team = pick_team(
        article_team=article_team,
        language=language,
        language_teams={"da": "danish-desk"},
        default_team="it-support",
    )
    assert team == expected


@pytest.mark.parametrize(
    ("presence", "seen_ago", "expected"),
    [
        (Presence.ONLINE, 60, Presence.ONLINE),
        (Presence.ONLINE, 301, Presence.AWAY),
        (Presence.ONLINE, None, Presence.AWAY),
        (Presence.AWAY, 0, Presence.AWAY),
        (Presence.OFFLINE, 0, Presence.OFFLINE),
    ],
)
def test_effective_presence(presence: Presence, seen_ago: float | None, expected: Presence) -> None:
    agent = _agent(1, presence=presence, seen_ago=seen_ago)
    assert effective_presence(agent, now=NOW, away_after=AWAY_AFTER) is expected


def _candidate(agent_id: int, load: int, assigned_ago: float | None = None) -> Candidate:
    assigned = None if assigned_ago is None else NOW - timedelta(seconds=assigned_ago)
    return Candidate(agent_id=agent_id, load=load, capacity=2, last_assigned_at=assigned)


@pytest.mark.parametrize(
    ("candidates", "exclude", "expected"),
    [
        ([_candidate(1, 1), _candidate(2, 0)], None, 2),  # least loaded
        ([_candidate(1, 0, 60), _candidate(2, 0, 600)], None, 2),  # longest idle
        ([_candidate(1, 0, 60), _candidate(2, 0)], None, 2),  # never assigned is idlest
        ([_candidate(1, 0), _candidate(2, 0)], None, 1),  # full tie: lower id
        ([_candidate(1, 2), _candidate(2, 2)], None, None),  # everyone full
        ([_candidate(1, 0), _candidate(2, 1)], 1, 2),  # not who released it
        ([_candidate(1, 0)], 1, None),  # only who released it
        ([_candidate(1, 0), replace(_candidate(2, 1), speaks=True)], None, 1),
        ([replace(_candidate(1, 0), speaks=False), _candidate(2, 1)], None, 2),  # language first
        ([replace(_candidate(1, 0), on_shift=False), _candidate(2, 1)], None, 2),  # then shift
        ([replace(_candidate(1, 0), on_shift=False)], None, 1),  # off shift: a last resort
        ([], None, None),
    ],
)
def test_choose_agent(
    candidates: list[Candidate], exclude: int | None, expected: int | None
) -> None:
    assert choose_agent(candidates, exclude=exclude) == expected


def test_candidates_are_active_online_agents_of_the_team() -> None:
    agents = [
        _agent(1),
        _agent(2, presence=Presence.AWAY),
        _agent(3, teams=("security",)),
        _agent(4, active=False),
        _agent(5, seen_ago=3600),
        _agent(6),
    ]
    found = candidates_for(agents, {6: 1}, team="it-support", now=NOW, away_after=AWAY_AFTER)
    assert [(c.agent_id, c.load) for c in found] == [(1, 0), (6, 1)]


def test_a_conversation_without_team_may_go_to_anyone() -> None:
    found = candidates_for(
        [_agent(3, teams=("security",))], {}, team=None, now=NOW, away_after=AWAY_AFTER
    )
    assert [c.agent_id for c in found] == [3]


@pytest.mark.parametrize(
    ("languages", "hours", "speaks", "on_shift"),
    [
        (("en",), {}, False, True),  # a Danish customer; no hours set: always on shift
        (("en", "da"), {"mon": ("09:00-17:00",)}, True, True),  # 10:00 in Copenhagen
        ((), {"mon": ("11:00-17:00",)}, True, False),  # languages unknown: assumed to speak
        (("da",), {"tue": ("00:00-24:00",)}, True, False),  # not Monday
    ],
)
def test_candidates_know_language_and_working_hours(
    languages: tuple[str, ...],
    hours: dict[str, tuple[str, ...]],
    speaks: bool,
    on_shift: bool,
) -> None:
    agent = replace(_agent(1), languages=languages, working_hours=hours)
    (found,) = candidates_for(
        [agent],
        {},
        team="it-support",
        now=NOW,
        away_after=AWAY_AFTER,
        language="da",
        time_zone=ZoneInfo("Europe/Copenhagen"),
    )
    assert (found.speaks, found.on_shift) == (speaks, on_shift)
