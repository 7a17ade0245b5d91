"""The runtime on a real SQLite file, the real rasa-sdk executor and real knowledge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from bot.errors import MessageRejected
from bot.runtime.core import HISTORY_WINDOW, Runtime
from bot.runtime.incoming import clean_text
from handoff.errors import AlreadyClaimed, NotOwner
from handoff.model import ConversationState, Customer, Message, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.customers import said


async def test_a_paraphrased_question_gets_the_article(runtime: Runtime) -> None:
    handled = await runtime.handle(said("the vpn is not working when I'm at home"))
    assert [r.meta.get("article_id") for r in handled.replies] == ["vpn-connect"]
    assert "vpn.example.org" in handled.replies[0].text


async def test_a_danish_question_gets_the_danish_translation(runtime: Runtime) -> None:
    handled = await runtime.handle(said("jeg har glemt min adgangskode til computeren"))
    assert handled.replies[0].meta["article_id"] == "password-reset"
    assert handled.replies[0].meta["lang"] == "da"
    assert "Glemt adgangskode" in handled.replies[0].text


async def test_an_unknown_question_is_not_guessed(runtime: Runtime) -> None:
    handled = await runtime.handle(said("what is the capital of Mongolia"))
    (reply,) = handled.replies
    assert reply.meta["kind"] == "fallback"
    assert [b.payload for b in reply.buttons] == ["/human"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("can I talk to a person", "en"),
        ("kan jeg tale med et menneske", "da"),
        # What the bot's Danish help tells customers to write; it once found an article.
        ("tal med en medarbejder", "da"),
    ],
)
async def test_asking_for_a_person_queues_the_conversation(
    runtime: Runtime, store: SqlStore, text: str, language: str
) -> None:
    handled = await runtime.handle(said(text))
    conversation = await store.get_conversation(handled.conversation.id)
    assert conversation.state is ConversationState.QUEUED
    (ack,) = handled.replies
    assert ack.meta == {"kind": "handoff", "queue_position": 1}
    assert ("next in the queue" if language == "en" else "næste i køen") in ack.text


async def test_the_queue_position_counts_earlier_customers(runtime: Runtime) -> None:
    await runtime.handle(said("/human", sender="first", payload="/human"))
    handled = await runtime.handle(said("/human", sender="second", payload="/human"))
    assert handled.replies[0].meta["queue_position"] == 2
    assert "number 2" in handled.replies[0].text


async def test_two_fallbacks_in_a_row_hand_off(runtime: Runtime, store: SqlStore) -> None:
    await runtime.handle(said("what is the capital of Mongolia"))
    handled = await runtime.handle(said("how tall is the Eiffel tower"))
    assert [r.meta["kind"] for r in handled.replies] == ["fallback", "handoff"]
    handoff = await store.current_handoff(handled.conversation.id)
    assert handoff is not None
    assert handoff.reason.value == "repeated_fallback"


async def test_a_fallback_that_hands_over_does_not_also_offer_to_rephrase(
    runtime: Runtime,
) -> None:
    first = await runtime.handle(said("what is the capital of Mongolia"))
    handled = await runtime.handle(said("how tall is the Eiffel tower"))
    fallback, _ack = handled.replies
    assert "rephrase" in first.replies[0].text  # while the bot may still help
    assert fallback.text == (
        "I'm not sure I have a good answer to that, and I don't want to guess, "
        "so I'm passing you to a person."
    )
    assert fallback.buttons == ()  # no "Talk to a person" a line before the handoff


async def test_the_article_team_gets_the_handoff(runtime: Runtime, store: SqlStore) -> None:
    await runtime.handle(said("I forgot my password"))
    handled = await runtime.handle(said("that did not work, let me talk to a person"))
    handoff = await store.current_handoff(handled.conversation.id)
    assert handoff is not None
    assert handoff.team == "accounts"
    assert "Accounts" in handled.replies[0].text


async def test_a_redelivered_message_is_stored_and_answered_once(
    runtime: Runtime, store: SqlStore
) -> None:
    message = said("How do I connect to the VPN?")
    first = await runtime.handle(message)
    again = await runtime.handle(message)
    assert again.duplicate
    assert again.message.id == first.message.id
    assert [r.id for r in again.replies] == [r.id for r in first.replies]
    transcript = await store.transcript(first.conversation.id)
    assert [m.sender for m in transcript] == [SenderKind.CUSTOMER, SenderKind.BOT]


async def test_concurrent_messages_of_one_customer_keep_their_order(
    runtime: Runtime, store: SqlStore
) -> None:
    messages = [said(f"question number {i} about the vpn") for i in range(8)]
    results = await asyncio.gather(*(runtime.handle(m) for m in messages))
    transcript = await store.transcript(results[0].conversation.id)
    customer_texts = [m.text for m in transcript if m.sender is SenderKind.CUSTOMER]
    assert customer_texts == [m.text for m in messages]
    latest_customer_message = 0
    for message in transcript:
        if message.sender is SenderKind.CUSTOMER:
            latest_customer_message = message.id
        else:
            assert message.reply_to == latest_customer_message


async def _queued(runtime: Runtime, sender: str = "alice") -> UUID:
    handled = await runtime.handle(said("can I talk to a person", sender=sender))
    return handled.conversation.id


async def test_an_agent_claims_replies_and_resolves(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _queued(runtime)
    joined = await runtime.claim(conversation_id, maria)
    assert joined.text == "Maria has joined the conversation."
    reply = await runtime.agent_reply(conversation_id, maria, "Hi, I'm looking at it now.")
    assert reply.agent_name == "Maria"
    await runtime.handle(said("thank you"))
    resolved = await runtime.resolve(conversation_id, maria)
    assert "resolved" in resolved.text
    transcript = await store.transcript(conversation_id)
    assert [(m.sender.value, m.text) for m in transcript] == [
        ("customer", "can I talk to a person"),
        ("bot", transcript[1].text),
        ("system", "Maria has joined the conversation."),
        ("agent", "Hi, I'm looking at it now."),
        ("customer", "thank you"),
        ("system", resolved.text),
        ("bot", transcript[6].text),  # the satisfaction question
    ]
    assert [m.seq for m in transcript] == list(range(1, 8))
    closed = await store.get_conversation(conversation_id)
    assert closed.state is ConversationState.BOT
    assert closed.closed_at is not None


async def test_a_second_claim_is_refused(runtime: Runtime, agents: tuple[int, int]) -> None:
    maria, jonas = agents
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, maria)
    with pytest.raises(AlreadyClaimed):
        await runtime.claim(conversation_id, jonas)


async def test_only_the_owner_may_reply(runtime: Runtime, agents: tuple[int, int]) -> None:
    maria, jonas = agents
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, maria)
    with pytest.raises(NotOwner):
        await runtime.agent_reply(conversation_id, jonas, "me too")


async def test_the_bot_is_silent_while_an_agent_owns_the_conversation(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, agents[0])
    handled = await runtime.handle(said("How do I connect to the VPN?"))
    assert handled.conversation.id == conversation_id
    assert handled.replies == ()


@pytest.mark.parametrize(("tell", "kinds"), [(True, ["flood"]), (False, [])])
async def test_a_held_message_is_stored_without_a_turn(
    runtime: Runtime, store: SqlStore, tell: bool, kinds: list[str]
) -> None:
    held = await runtime.hold(said("How do I connect to the VPN?"), tell=tell)

    transcript = await store.transcript(held.conversation.id)
    assert [(m.sender, m.text) for m in transcript[:1]] == [
        (SenderKind.CUSTOMER, "How do I connect to the VPN?")
    ]
    assert [r.meta.get("kind") for r in held.replies] == kinds
    assert [m.id for m in transcript[1:]] == [r.id for r in held.replies]


async def test_a_held_message_gets_no_notice_while_an_agent_owns_the_conversation(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, agents[0])

    held = await runtime.hold(said("hello? anyone?"), tell=True)

    assert (held.conversation.id, held.replies) == (conversation_id, ())


async def test_a_held_message_sent_again_is_stored_once(runtime: Runtime, store: SqlStore) -> None:
    message = said("How do I connect to the VPN?")
    first = await runtime.hold(message, tell=True)
    again = await runtime.hold(message, tell=True)

    assert (again.duplicate, again.message.id, again.replies) == (
        True,
        first.message.id,
        first.replies,
    )
    assert len(await store.transcript(first.conversation.id)) == 2


async def test_while_queued_the_bot_answers_what_it_knows(runtime: Runtime) -> None:
    await _queued(runtime)
    handled = await runtime.handle(said("How do I connect to the VPN?"))
    assert handled.replies[0].meta["article_id"] == "vpn-connect"


async def test_while_queued_an_unknown_question_gets_the_queue_position(
    runtime: Runtime,
) -> None:
    await _queued(runtime)
    handled = await runtime.handle(said("what is the capital of Mongolia"))
    assert handled.replies[0].meta == {"kind": "still_queued"}
    assert "number 1" in handled.replies[0].text


async def test_after_resolve_the_next_message_starts_a_new_conversation(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, agents[0])
    await runtime.resolve(conversation_id, agents[0])
    handled = await runtime.handle(said("How do I connect to the VPN?"))
    assert handled.conversation.id != conversation_id
    assert handled.replies[0].meta["article_id"] == "vpn-connect"


async def test_an_article_marked_handoff_hands_over_without_offering_a_person(
    runtime: Runtime,
) -> None:
    handled = await runtime.handle(said("my work laptop was stolen yesterday"))
    assert handled.replies[0].meta["article_id"] == "lost-device"
    # "Did this help?" (yes / no), but no person button: the next line hands over.
    assert [b.payload for b in handled.replies[0].buttons] == ["/helpful yes", "/helpful no"]
    assert handled.replies[-1].meta["kind"] == "handoff"


async def test_a_clarification_button_answers_the_chosen_article(runtime: Runtime) -> None:
    handled = await runtime.handle(
        said("Forbind til VPN hjemmefra", payload="/article vpn-connect")
    )
    assert handled.replies[0].meta["article_id"] == "vpn-connect"
    assert handled.replies[0].meta["lang"] == "da"


async def _notice_for_an_hour(store: SqlStore, texts: dict[str, str]) -> None:
    """Post a notice that started an hour ago and ends in an hour."""
    now = datetime.now(UTC)
    await store.post_notice(
        texts=texts, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )


async def test_an_active_notice_is_shown_once_per_conversation(
    runtime: Runtime, store: SqlStore
) -> None:
    await _notice_for_an_hour(
        store, {"en": "Illness today: expect 10-20 minutes.", "da": "Sygdom i dag."}
    )
    first = await runtime.handle(said("How do I connect to the VPN?"))
    second = await runtime.handle(said("can I talk to a person"))
    assert [r.meta["kind"] for r in first.replies] == ["notice", "answer"]
    assert [r.meta["kind"] for r in second.replies] == ["handoff"]


async def test_a_notice_is_not_shown_again_in_the_customers_next_conversation(
    runtime: Runtime, store: SqlStore
) -> None:
    await _notice_for_an_hour(store, {"en": "Illness today: expect longer waits."})
    first = await runtime.handle(said("How do I connect to the VPN?"))
    await runtime.handle(said("/end", payload="/end"))
    again = await runtime.handle(said("How do I reset my password?"))
    other = await runtime.handle(said("How do I reset my password?", sender="bob"))

    assert again.conversation.id != first.conversation.id
    assert [r.meta["kind"] for r in first.replies] == ["notice", "answer"]
    assert [r.meta["kind"] for r in again.replies] == ["answer"]
    assert [r.meta["kind"] for r in other.replies] == ["notice", "answer"]


async def test_a_notice_written_in_one_language_is_filled_in_that_language(
    runtime: Runtime, store: SqlStore
) -> None:
    await _notice_for_an_hour(store, {"en": "Two colleagues are ill today: expect {eta}."})
    # A Danish customer reads the English text whole, not with a Danish wait inside it.
    (notice, _) = (await runtime.handle(said("Hvordan forbinder jeg til VPN?"))).replies
    assert notice.text == "Two colleagues are ill today: expect a reply as soon as someone is free."


async def test_a_notices_place_is_the_one_a_handoff_would_get(
    runtime: Runtime, store: SqlStore
) -> None:
    # Bob waits in the accounts queue; Alice's VPN question belongs to IT support.
    await runtime.handle(said("How do I reset my password?", sender="bob"))
    await runtime.handle(said("can I talk to a person", sender="bob"))
    await _notice_for_an_hour(
        store, {"en": "Busy today: you would be number {position} in the queue."}
    )
    (notice, answer) = (await runtime.handle(said("How do I connect to the VPN?"))).replies
    (ack,) = (await runtime.handle(said("can I talk to a person"))).replies

    assert answer.meta["article_id"] == "vpn-connect"
    assert notice.text == "Busy today: you would be number 1 in the queue."
    assert ack.meta["queue_position"] == 1


async def test_a_notice_is_not_repeated_beyond_the_history_a_turn_reads(
    runtime: Runtime, store: SqlStore
) -> None:
    await _notice_for_an_hour(store, {"en": "Illness today: expect 10-20 minutes."})
    first = await runtime.handle(said("How do I connect to the VPN?"))
    # A long conversation: the notice is now further back than a turn reads.
    filler = [
        NewMessage(sender=SenderKind.BOT, text=f"line {i}", meta={"kind": "answer"})
        for i in range(HISTORY_WINDOW + 10)
    ]
    await store.append_messages(first.conversation.id, filler)
    later = await runtime.handle(said("can I talk to a person"))
    assert later.message.seq > HISTORY_WINDOW + 10
    assert [r.meta["kind"] for r in later.replies] == ["handoff"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
async def test_an_empty_message_is_rejected_before_storing(
    runtime: Runtime, store: SqlStore, text: str
) -> None:
    with pytest.raises(MessageRejected):
        await runtime.handle(said(text))
    assert await store.find_customer(channel="web", external_id="alice") is None


async def test_a_huge_message_is_kept_and_answered_politely(
    runtime: Runtime, store: SqlStore
) -> None:
    handled = await runtime.handle(said("vpn " * 250_000))
    assert len(handled.message.text) == len(("vpn " * 250_000).strip())
    assert handled.replies[0].meta == {"kind": "too_long"}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  hi  ", "hi"),
        ("a\x00b", "a\ufffdb"),
        ("lone \ud800 surrogate", "lone ? surrogate"),
        ("\u202eevil", "\u202eevil"),
    ],
)
def test_clean_text(raw: str, stored: str) -> None:
    assert clean_text(raw) == stored


async def test_hostile_text_is_stored_verbatim_and_answered(
    runtime: Runtime, store: SqlStore
) -> None:
    text = "<img src=x onerror=alert(1)> \u202e ' OR 1=1; --"
    handled = await runtime.handle(said(text))
    transcript = await store.transcript(handled.conversation.id)
    assert transcript[0].text == text
    assert len(handled.replies) == 1


class RecordingDelivery:
    """A push channel at the edge of the world: records what reached the customer."""

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def deliver(self, customer: Customer, message: Message) -> None:
        self.delivered.append(message.text)


async def test_a_retried_agent_reply_reaches_the_customer_once(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    delivery = RecordingDelivery()
    runtime.register_delivery("web", delivery)
    conversation_id = await _queued(runtime)
    await runtime.claim(conversation_id, agents[0])
    first = await runtime.agent_reply(conversation_id, agents[0], "On it.", external_id="r-1")
    again = await runtime.agent_reply(conversation_id, agents[0], "On it.", external_id="r-1")
    assert again.id == first.id
    assert delivery.delivered.count("On it.") == 1
