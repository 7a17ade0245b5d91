"""Agents and status notices, on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from handoff.errors import DuplicateLogin, NotFound
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START


async def test_agents_are_stored_and_logins_are_unique(store: SqlStore) -> None:
    maria = await store.add_agent(
        login="maria",
        name="Maria",
        password_hash="hash-1",
        teams=["it-support", "security"],
        languages=["en", "da"],
        capacity=5,
        is_admin=True,
    )
    await store.add_agent(login="anna", name="Anna", password_hash="hash-2")
    with pytest.raises(DuplicateLogin) as raised:
        await store.add_agent(login="maria", name="Other Maria", password_hash="hash-3")
    assert raised.value.login == "maria"
    assert await store.get_agent(maria.id) == maria
    assert (maria.teams, maria.languages, maria.capacity, maria.is_admin, maria.active) == (
        ("it-support", "security"),
        ("en", "da"),
        5,
        True,
        True,
    )
    assert [a.login for a in await store.list_agents()] == ["anna", "maria"]
    await store.set_password_hash(maria.id, "hash-new")
    # A new password ends Maria's console sessions: her session epoch moved on.
    assert await store.agent_credentials("maria") == (
        dataclasses.replace(maria, session_epoch=1),
        "hash-new",
    )
    assert await store.agent_credentials("nobody") is None


async def test_sessions_end_on_request_and_on_deactivation_but_not_on_a_rehash(
    store: SqlStore,
) -> None:
    agent = await store.add_agent(login="maria", name="Maria", password_hash="hash-1")
    await store.set_password_hash(agent.id, "rehashed", end_sessions=False)
    epochs = [(await store.get_agent(agent.id)).session_epoch]
    await store.end_sessions(agent.id)
    epochs.append((await store.get_agent(agent.id)).session_epoch)
    await store.update_agent(agent.id, active=False)
    epochs.append((await store.get_agent(agent.id)).session_epoch)
    await store.update_agent(agent.id, active=True)
    epochs.append((await store.get_agent(agent.id)).session_epoch)
    assert epochs == [0, 1, 2, 2]


async def test_a_missing_agent_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.get_agent(999)
    with pytest.raises(NotFound):
        await store.set_password_hash(999, "x")


# Notices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "active"),
    [
        (-1, []),
        (0, ["illness", "forever"]),
        (59, ["illness", "forever"]),
        (60, ["forever"]),
        (60 * 24 * 365, ["forever"]),
    ],
)
async def test_active_notices_follow_their_window(
    store: SqlStore, minutes: int, active: list[str]
) -> None:
    await store.post_notice(
        texts={"en": "illness"}, starts_at=START, ends_at=START + timedelta(hours=1)
    )
    await store.post_notice(texts={"en": "forever"}, starts_at=START, ends_at=None)
    notices = await store.active_notices(START + timedelta(minutes=minutes))
    assert [n.texts["en"] for n in notices] == active


async def test_a_notice_keeps_its_texts_and_audience(store: SqlStore) -> None:
    posted = await store.post_notice(
        texts={"en": "Expect 10-20 minutes", "da": "Forvent 10-20 minutter"},
        starts_at=START,
        ends_at=None,
        audience="telegram",
    )
    assert await store.active_notices(START) == [posted]
    assert posted.audience == "telegram"


async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.active_notices(START.replace(tzinfo=None))
