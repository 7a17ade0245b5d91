"""A typed rating after "How did we do?" through the runtime: the same as pressing the button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from bot.dialogue.rating import recognise
from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from handoff.attachments import NewAttachment
from handoff.model import ConversationState, Message, SenderKind
from handoff.stats import Satisfaction, desk_figures
from handoff.store.sql import SqlStore
from tests.bot.customers import said

VPN_EN = "How do I connect to the VPN?"
VPN_DA = "Hvordan forbinder jeg til VPN?"
ASK_EN = "can I talk to a person"
ASK_DA = "kan jeg tale med et menneske"
THANKS_EN = "Thank you for your rating!"
THANKS_DA = "Tak for din vurdering!"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("1", 1),
        (" 3 ", 3),
        ("5/5", 5),
        ("4 / 5", 4),
        ("4 out of 5", 4),
        ("4 of five", 4),
        ("5 stars", 5),
        ("1 star", 1),
        ("Five stars!", 5),
        ("five", 5),
        ("two", 2),
        ("5, thanks", 5),
        ("5 out of 5, thank you!", 5),
        ("thanks, 4", 4),
        ("5 stjerner", 5),
        ("1 stjerne", 1),
        ("fem", 5),
        ("fire ud af fem", 4),
        ("4 af 5", 4),
        ("5 tak", 5),
        ("Fem stjerner, mange tak", 5),
        ("⭐⭐⭐⭐", 4),
        ("\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f\u2b50\ufe0f", 5),  # emoji presentation
        ("⭐⭐⭐⭐⭐ thanks", 5),
        ("★★★★☆", 4),
        ("🌟🌟🌟", 3),
        ("*****", 5),
        ("5 ⭐", 5),  # the number is the rating, the star decorates it
        # Outside 1-5, or another scale: no rating.
        ("0", None),
        ("6", None),
        ("10", None),
        ("0 stars", None),
        ("10/10", None),
        ("7/10", None),
        ("5/10", None),
        ("3.5", None),
        ("4,5", None),
        ("-5", None),
        ("⭐⭐⭐⭐⭐⭐", None),
        ("☆☆☆", None),
        ("★★☆", None),
        # More than a rating: a question, a new problem, another subject.
        ("5 but the vpn is down again", None),
        ("5 minutes", None),
        ("room 4", None),
        ("5 :)", None),
        ("thanks", None),
        ("tak", None),
        ("!!!", None),
        ("", None),
    ],
)
def test_only_a_whole_message_of_rating_words_is_a_rating(text: str, rating: int | None) -> None:
    assert recognise(text) == rating


async def _resolved(runtime: Runtime, agent: int, *, question: str, ask: str, sender: str) -> UUID:
    """A conversation of ``sender`` handed off, claimed by ``agent`` and resolved: the bot
    has just asked for a rating."""
    await runtime.handle(said(question, sender=sender))
    handled = await runtime.handle(said(ask, sender=sender))
    await runtime.claim(handled.conversation.id, agent)
    await runtime.resolve(handled.conversation.id, agent)
    return handled.conversation.id


def _shown(replies: tuple[Message, ...]) -> list[tuple[str, str, list[str]]]:
    return [(r.meta["kind"], r.text, [b.payload for b in r.buttons]) for r in replies]


async def _ratings(store: SqlStore, conversation_id: UUID) -> list[tuple[int, int | None]]:
    return [
        (f.rating, f.agent_id)
        for f in await store.feedback(conversation_id)
        if f.rating is not None
    ]


# (the question, the ask for a person, what the customer types, the button it stands for,
# the thanks).
TYPED = [
    (VPN_EN, ASK_EN, "5", 5, THANKS_EN),
    (VPN_EN, ASK_EN, "5/5", 5, THANKS_EN),
    (VPN_EN, ASK_EN, "4 out of 5", 4, THANKS_EN),
    (VPN_EN, ASK_EN, "5 stars", 5, THANKS_EN),
    (VPN_EN, ASK_EN, "five", 5, THANKS_EN),
    (VPN_EN, ASK_EN, "⭐⭐⭐⭐", 4, THANKS_EN),
    (VPN_EN, ASK_EN, "5, thanks", 5, THANKS_EN),
    (VPN_DA, ASK_DA, "5", 5, THANKS_DA),
    (VPN_DA, ASK_DA, "5 stjerner", 5, THANKS_DA),
    (VPN_DA, ASK_DA, "fem", 5, THANKS_DA),
    (VPN_DA, ASK_DA, "fire ud af fem", 4, THANKS_DA),
    (VPN_DA, ASK_DA, "5 tak", 5, THANKS_DA),
]


@pytest.mark.parametrize(("question", "ask", "typed", "rating", "thanks"), TYPED)
async def test_a_typed_rating_after_the_request_is_the_rating_button(
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    question: str,
    ask: str,
    typed: str,
    rating: int,
    thanks: str,
) -> None:
    maria, _ = agents
    outcomes = []
    for sender, text, payload in [
        (f"pressed-{typed}", str(rating), f"/rate {rating}"),
        (f"typed-{typed}", typed, None),
    ]:
        asked = await _resolved(runtime, maria, question=question, ask=ask, sender=sender)
        handled = await runtime.handle(said(text, sender=sender, payload=payload))
        conversation = await store.get_conversation(handled.conversation.id)
        customer = await store.get_customer(conversation.customer_id)
        outcomes.append(
            (
                _shown(handled.replies),
                handled.conversation.id == asked,  # filed where it was asked
                (conversation.state, conversation.closed_at is not None),
                (handled.message.text, handled.message.meta["payload"]),
                await _ratings(store, asked),
                len(await store.handoffs(asked)),
                len(await store.customer_conversations(customer.id, limit=5)),
            )
        )

    pressed, typed_in = outcomes
    assert typed_in[:3] == pressed[:3]
    assert typed_in[4:] == pressed[4:]
    assert typed_in == (
        [("rating_thanks", thanks, [])],
        True,
        (ConversationState.BOT, True),
        (typed, f"/rate {rating}"),  # the customer's words, read as the press
        [(rating, maria)],
        1,  # the handoff that brought Maria, and no other
        1,  # no new conversation: nothing queued, nobody waits for a person
    )


@pytest.mark.parametrize(
    ("question", "ask", "first", "second"),
    [(VPN_EN, ASK_EN, "5", "5 stars"), (VPN_DA, ASK_DA, "5", "5 stjerner")],
)
async def test_a_happy_customer_typing_the_rating_is_never_handed_off(
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    question: str,
    ask: str,
    first: str,
    second: str,
) -> None:
    # The trial's customer: "5" fell back, "5 stars" was the second fallback in a row and
    # queued them overnight; the rating was lost.
    maria, _ = agents
    start = datetime.now(UTC)
    asked = await _resolved(runtime, maria, question=question, ask=ask, sender="happy")

    rated = await runtime.handle(said(first, sender="happy"))
    again = await runtime.handle(said(second, sender="happy"))

    assert [r.meta["kind"] for r in rated.replies] == ["rating_thanks"]
    kinds = [r.meta["kind"] for r in again.replies]
    assert "handoff" not in kinds
    assert await store.queue() == []
    assert await _ratings(store, asked) == [(5, maria)]
    activity = await store.period_activity(since=start, until=datetime.now(UTC) + timedelta(1))
    figures = desk_figures(activity, time_zone=UTC)
    assert figures.by_agent == (Satisfaction(agent_id=maria, count=1, average=5.0),)


async def test_a_typed_rating_of_a_conversation_the_bot_handled_credits_the_bot(
    runtime: Runtime, store: SqlStore
) -> None:
    answered = await runtime.handle(said(VPN_EN, sender="bot-only"))
    await runtime.ask_satisfaction(answered.conversation.id, agent_id=None)

    handled = await runtime.handle(said("4 out of 5", sender="bot-only"))

    assert _shown(handled.replies) == [("rating_thanks", THANKS_EN, [])]
    assert await _ratings(store, answered.conversation.id) == [(4, None)]
    conversation = await store.get_conversation(answered.conversation.id)
    assert (conversation.state, await store.handoffs(conversation.id)) == (
        ConversationState.BOT,
        [],
    )


async def test_a_redelivered_typed_rating_is_thanked_once_and_counted_once(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    asked = await _resolved(runtime, maria, question=VPN_EN, ask=ASK_EN, sender="twice")
    typed = IncomingMessage(channel="web", sender_id="twice", external_id="web:twice:5", text="5")

    first = await runtime.handle(typed)
    second = await runtime.handle(typed)

    assert (second.duplicate, second.message.id, second.replies) == (
        True,
        first.message.id,
        first.replies,
    )
    assert await _ratings(store, asked) == [(5, maria)]
    customer = await store.get_customer((await store.get_conversation(asked)).customer_id)
    thanked = [
        m
        for m in await store.customer_messages(customer.id)
        if m.sender is SenderKind.BOT and m.meta.get("kind") == "rating_thanks"
    ]
    assert len(thanked) == 1


# (what the customer says after the rating request, before the message, with its button;
# the message; the ratings stored at the end).
NOT_RIGHT_AFTER = [
    ([], "6", []),
    ([], "10/10", []),
    ([], "5 but the vpn is down again", []),
    ([("hello", None)], "5", []),
    ([("4", "/rate 4")], "5", [4]),  # rated: once per conversation, as the buttons
]


@pytest.mark.parametrize(("before", "typed", "ratings"), NOT_RIGHT_AFTER)
async def test_a_message_that_is_no_rating_or_not_right_after_the_request_goes_its_way(
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    before: list[tuple[str, str | None]],
    typed: str,
    ratings: list[int],
) -> None:
    maria, _ = agents
    sender = f"later-{typed}-{len(before)}"
    asked = await _resolved(runtime, maria, question=VPN_EN, ask=ASK_EN, sender=sender)
    for text, payload in before:
        await runtime.handle(said(text, sender=sender, payload=payload))

    handled = await runtime.handle(said(typed, sender=sender))

    assert handled.conversation.id != asked  # a new conversation, as any message after resolve
    assert "rating_thanks" not in [r.meta["kind"] for r in handled.replies]
    assert "payload" not in handled.message.meta
    assert [rating for rating, _ in await _ratings(store, asked)] == ratings


@pytest.mark.parametrize(
    ("question", "ask", "polite", "typed"),
    [
        (VPN_EN, ASK_EN, "thanks!", "5"),
        (VPN_DA, ASK_DA, "tak!", "5 stjerner"),
        (VPN_EN, ASK_EN, "ok", "⭐⭐⭐⭐⭐"),
    ],
)
@pytest.mark.parametrize("notice", [False, True], ids=["", "with a notice"])
async def test_a_rating_typed_after_a_thanks_is_still_the_rating(
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    question: str,
    ask: str,
    polite: str,
    typed: str,
    notice: bool,
) -> None:
    # The second trial's customer: "thanks!" after the request, then "5", fell back, and
    # "5 stars" queued them overnight. The thanks opens a new conversation, whose first
    # reply comes after the active notice.
    maria, _ = agents
    sender = f"polite-{polite}-{notice}"
    asked = await _resolved(runtime, maria, question=question, ask=ask, sender=sender)
    if notice:
        now = datetime.now(UTC)
        await store.post_notice(
            texts={"en": "Illness today.", "da": "Sygdom i dag."},
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
    shown = await runtime.handle(said(polite, sender=sender))
    assert [r.meta["kind"] for r in shown.replies] == ["notice"] * notice + ["small_talk"]

    handled = await runtime.handle(said(typed, sender=sender))

    assert [r.meta["kind"] for r in handled.replies] == ["rating_thanks"]
    assert await _ratings(store, asked) == [(5, maria)]
    assert await store.queue() == []


@pytest.mark.parametrize("first", ["5", "fem", "5 stars"])
async def test_away_from_the_rating_request_a_bare_number_is_no_rating(
    runtime: Runtime, store: SqlStore, first: str
) -> None:
    (reply,) = (await runtime.handle(said(first, sender=f"alone-{first}"))).replies

    assert reply.meta["kind"] == "fallback"
    assert "payload" not in (await store.transcript(reply.conversation_id))[0].meta
    assert await store.feedback(reply.conversation_id) == []


async def test_a_file_captioned_with_a_number_is_kept_for_a_person_not_a_rating(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    asked = await _resolved(runtime, maria, question=VPN_EN, ask=ASK_EN, sender="file")
    customer = await store.get_customer((await store.get_conversation(asked)).customer_id)
    ref = await store.add_attachment(customer.id, NewAttachment.check(PNG, "screen.png"))

    handled = await runtime.handle(
        IncomingMessage(
            channel="web", sender_id="file", external_id="web:file:1", text="5", attachments=(ref,)
        )
    )

    assert handled.conversation.id != asked
    assert (await store.get_attachment(ref.id)).message_id == handled.message.id
    assert await _ratings(store, asked) == []
