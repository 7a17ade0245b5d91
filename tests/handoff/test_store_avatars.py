"""Agents' pictures on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import pytest

from handoff.avatars import NewAvatar
from handoff.errors import NotFound
from handoff.store.sql import SqlStore
from tests.handoff.conftest import FakeClock

PNG = NewAvatar(content_type="image/png", data=b"\x89PNG\r\n\x1a\n" + b"\x01" * 32)
JPEG = NewAvatar(content_type="image/jpeg", data=b"\xff\xd8\xff\xe0" + b"\x02" * 32)


async def _agent(store: SqlStore) -> int:
    return (await store.add_agent(login="maria", name="Maria", password_hash="x")).id


async def test_a_picture_is_kept_byte_for_byte(store: SqlStore) -> None:
    maria = await _agent(store)
    await store.set_agent_avatar(maria, PNG)
    kept = await store.agent_avatar(maria)
    assert (kept.content_type, kept.data) == (PNG.content_type, PNG.data)
    assert await store.avatar_versions() == {maria: kept.version}


async def test_a_new_picture_replaces_the_old_under_a_new_version(
    store: SqlStore, clock: FakeClock
) -> None:
    maria = await _agent(store)
    await store.set_agent_avatar(maria, PNG)
    first = await store.agent_avatar(maria)
    clock.advance(1)
    await store.set_agent_avatar(maria, JPEG)
    second = await store.agent_avatar(maria)
    assert (second.data, second.version > first.version) == (JPEG.data, True)


async def test_a_removed_picture_is_gone(store: SqlStore) -> None:
    maria = await _agent(store)
    await store.set_agent_avatar(maria, PNG)
    await store.set_agent_avatar(maria, None)
    assert await store.avatar_versions() == {}
    with pytest.raises(NotFound):
        await store.agent_avatar(maria)


async def test_nobody_has_a_picture_of_an_agent_who_does_not_exist(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.set_agent_avatar(4242, PNG)
