"""Saved replies on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import pytest

from handoff.errors import DuplicateShortcut, NotFound
from handoff.store.sql import SqlStore


async def _agent(store: SqlStore, login: str) -> int:
    return (await store.add_agent(login=login, name=login.title(), password_hash="x")).id


async def test_an_agent_sees_their_own_and_their_teams_replies(store: SqlStore) -> None:
    maria, jonas = await _agent(store, "maria"), await _agent(store, "jonas")
    await store.add_saved_reply(shortcut="vpn", text="VPN help", team="it-support", actor="a")
    await store.add_saved_reply(shortcut="bye", text="Bye", agent_id=maria, actor="a")
    await store.add_saved_reply(shortcut="pay", text="Billing", team="accounts", actor="a")
    await store.add_saved_reply(shortcut="hi", text="Hi", agent_id=jonas, actor="a")
    seen = await store.saved_replies(agent_id=maria, teams=("it-support",))
    assert [(r.shortcut, r.team, r.agent_id) for r in seen] == [
        ("bye", None, maria),
        ("vpn", "it-support", None),
    ]


async def test_a_shortcut_is_unique_within_its_team_or_agent(store: SqlStore) -> None:
    maria = await _agent(store, "maria")
    await store.add_saved_reply(shortcut="vpn", text="VPN help", team="it-support", actor="a")
    await store.add_saved_reply(shortcut="vpn", text="My VPN text", agent_id=maria, actor="a")
    with pytest.raises(DuplicateShortcut):
        await store.add_saved_reply(shortcut="vpn", text="again", team="it-support", actor="a")


async def test_a_deleted_reply_is_gone(store: SqlStore) -> None:
    reply = await store.add_saved_reply(shortcut="vpn", text="VPN", team="it-support", actor="a")
    await store.delete_saved_reply(reply.id, actor="a")
    assert await store.saved_replies() == []
    with pytest.raises(NotFound):
        await store.delete_saved_reply(reply.id, actor="a")
