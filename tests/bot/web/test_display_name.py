"""Customers read an agent's display name, never their login: in the chat, in the
transcript exports and in their privacy export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from bot.service.composition import Service
from handoff.card import build_card
from handoff.export import to_html, to_json, to_markdown
from handoff.passwords import hash_password
from handoff.privacy import to_json as privacy_json
from tests.bot.web.conftest import ChatCustomer, Connect, ConsoleAgent

LOGIN = "desk-7"
SHOWN = "Maria Q."


async def test_customers_read_the_display_name_never_the_login(
    queued: ChatCustomer, service: Service, connect: Connect
) -> None:
    store = service.store
    await store.add_agent(
        login=LOGIN,
        name=SHOWN,
        password_hash=hash_password("desk-secret", service.settings.password_hashing),
        teams=["it-support"],
    )
    async with connect() as client:
        desk = ConsoleAgent(client)
        assert (await desk.login(LOGIN, "desk-secret")).status_code == 303
        conversation_id = (await desk.queue())["queue"][0]["conversation_id"]
        await desk.act(conversation_id, "claim")
        await desk.act(conversation_id, "reply", text="Restart it, please", reply_id="r1")
        await desk.act(conversation_id, "resolve")

    conversation = await store.get_conversation(UUID(conversation_id))
    card = build_card(
        conversation=conversation,
        customer=await store.get_customer(conversation.customer_id),
        handoff=(await store.handoffs(conversation.id))[-1],
        transcript=await store.transcript(conversation.id),
        feedback=await store.feedback(conversation.id),
        now=datetime.now(UTC),
    )
    surfaces = {
        "chat": json.dumps(await queued.messages()),
        "markdown": to_markdown(card),
        "html": to_html(card),
        "json": to_json(card),
        "privacy": privacy_json(await store.export_customer(conversation.customer_id)),
    }
    assert {where: (SHOWN in text, LOGIN in text) for where, text in surfaces.items()} == {
        where: (True, False) for where in surfaces
    }
