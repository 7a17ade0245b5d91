"""What one customer message costs the database on the web chat."""

from __future__ import annotations

from bot.service.composition import Service
from handoff.bearer import token_digest
from tests.bot.transactions import counted_transactions
from tests.bot.web.conftest import VPN_QUESTION, ChatCustomer


async def test_a_message_costs_one_transaction_to_store_it_and_one_for_the_replies(
    customer: ChatCustomer,
) -> None:
    await customer.say("hello")  # a conversation's first message also reads the notices
    with counted_transactions() as began:
        answer = await customer.say(VPN_QUESTION)
    assert ([m["sender"] for m in answer["messages"]], len(began)) == (["customer", "bot"], 2)


async def test_the_token_of_an_erased_customer_is_refused_though_it_was_seen(
    customer: ChatCustomer, service: Service
) -> None:
    await customer.say("hello")  # the service has seen the token now
    known = await service.store.find_customer(
        channel="web", external_id=token_digest(customer.token)
    )
    assert known is not None
    await service.store.erase_customer(known.id, actor="test")
    response = await customer.client.post(
        "/api/chat/messages",
        json={"client_id": "5f0c8f4e-8c4b-4a43-9b7c-1f6e0e8a9d21", "text": "still there?"},
        headers=customer.headers,
    )
    again = await service.store.find_customer(
        channel="web", external_id=token_digest(customer.token)
    )
    assert (response.status_code, again) == (401, None)
