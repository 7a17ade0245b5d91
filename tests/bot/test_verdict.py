"""A typed answer to "Did this help?" through the runtime: the same as pressing the button."""

from __future__ import annotations

from uuid import UUID

import pytest

from bot.desk.knowledge_gaps import unanswered_questions
from bot.dialogue.verdict import Verdict, recognise
from bot.runtime.core import Runtime
from bot.settings.model import HandoffPolicy, Settings
from handoff.model import ConversationState, Message
from handoff.store.sql import SqlStore
from tests.bot.customers import handoff_card, runtime_with, said

VPN_EN = "How do I connect to the VPN?"
VPN_DA = "Hvordan forbinder jeg til VPN?"


def _shown(replies: list[Message]) -> list[tuple[str, str, list[str]]]:
    return [(r.meta["kind"], r.text, [b.payload for b in r.buttons]) for r in replies]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("no, it did not help", Verdict(False, "en")),
        ("No", Verdict(False, "en")),
        ("didn't help", Verdict(False, "en")),
        ("it didnt work", Verdict(False, "en")),
        ("no it didn't", Verdict(False, "en")),
        ("No, it did not help", Verdict(False, "en")),
        ("still not working, sorry", Verdict(False, "en")),
        ("it did not help, thanks", Verdict(False, "en")),
        ("Det hjalp ikke, tak", Verdict(False, "da")),
        ("nej det hjalp ikke", Verdict(False, "da")),
        ("Nej.", Verdict(False, "da")),
        ("virkede ikke", Verdict(False, "da")),
        ("det virker desværre stadig ikke", Verdict(False, "da")),
        ("yes", Verdict(True, "en")),
        ("Yes, that helped!", Verdict(True, "en")),
        ("it worked, thanks", Verdict(True, "en")),
        ("thanks!", Verdict(True, "en")),
        ("ja", Verdict(True, "da")),
        ("det hjalp", Verdict(True, "da")),
        ("perfekt, tak", Verdict(True, "da")),
        ("ja det virker", Verdict(True, "da")),
        ("\U0001f44d", Verdict(True, None)),
        ("\U0001f44d\U0001f3fd!", Verdict(True, None)),
        ("\U0001f44e", Verdict(False, None)),
        ("\U0001f44e\U0001f3fb\U0001f44e\U0001f3fb", Verdict(False, None)),
        ("\U0001f44d\U0001f44e", None),
        # More than a verdict: a new problem, a question, another subject.
        ("no, and now outlook crashes too", None),
        ("nej, og nu crasher outlook også", None),
        ("no I need to reset my password", None),
        ("vpn virker ikke", None),
        ("the printer does not work", None),
        ("ok", None),
        ("yes please, how do I reset my password", None),
        # Declining an offer (the answer's "you can talk to a person"): small talk.
        ("no thanks", None),
        ("nej tak", None),
        ("Nej tak, det er fint", None),
    ],
)
def test_only_a_whole_message_of_verdict_words_is_a_verdict(
    text: str, verdict: Verdict | None
) -> None:
    assert recognise(text) == verdict


# (the question, what the customer types, the button they could have pressed instead).
TYPED_NO = [
    (VPN_EN, "no, it did not help", "No, it did not help"),
    (VPN_EN, "no", "No, it did not help"),
    (VPN_EN, "didn't help", "No, it did not help"),
    (VPN_EN, "it didnt work", "No, it did not help"),
    (VPN_DA, "nej det hjalp ikke", "Nej, det hjalp ikke"),
    (VPN_DA, "nej", "Nej, det hjalp ikke"),
    (VPN_DA, "virkede ikke", "Nej, det hjalp ikke"),
    (VPN_EN, "\U0001f44e", "No, it did not help"),
    (VPN_DA, "\U0001f44e\U0001f3fc", "Nej, det hjalp ikke"),
]


@pytest.mark.parametrize(("question", "typed", "button"), TYPED_NO)
async def test_a_typed_no_after_an_answer_is_the_not_helpful_button(
    runtime: Runtime, store: SqlStore, question: str, typed: str, button: str
) -> None:
    outcomes = []
    for sender, text, payload in [
        (f"pressed-{typed}", button, "/helpful no"),
        (f"typed-{typed}", typed, None),
    ]:
        (answer,) = (await runtime.handle(said(question, sender=sender))).replies
        handled = await runtime.handle(said(text, sender=sender, payload=payload))
        conversation = await store.get_conversation(handled.conversation.id)
        (handoff,) = await store.handoffs(conversation.id)
        (feedback,) = await store.feedback(conversation.id)
        card = await handoff_card(store, conversation.id)
        outcomes.append(
            (
                _shown(handled.replies),
                conversation.state,
                (handoff.reason.value, handoff.summary, card.question),
                (feedback.helpful, feedback.message_id == answer.id),
                [(t.article_id, t.helpful) for t in card.tried],
            )
        )
        # Out of the queue, so that the next conversation is told the same place in it.
        await store.resolve(conversation.id, agent_id=None)

    pressed, typed_no = outcomes
    assert typed_no == pressed
    assert typed_no[1:] == (
        ConversationState.QUEUED,
        ("not_helpful", question, question),
        (False, True),
        [("vpn-connect", False)],
    )


@pytest.mark.parametrize(
    ("question", "typed", "line"),
    [
        (VPN_EN, "no", "If this did not help, you can talk to a person."),
        (VPN_DA, "nej det hjalp ikke", "Hvis det ikke hjalp, kan du tale med en medarbejder."),
    ],
)
async def test_a_typed_no_is_never_a_fallback_nor_counted_towards_the_fallback_handoff(
    settings: Settings, store: SqlStore, question: str, typed: str, line: str
) -> None:
    # Without the not-helpful handoff the button offers a person; two fallbacks in a row
    # hand over (the default).
    runtime = runtime_with(settings, store, handoff=HandoffPolicy(not_helpful=False))
    sender = f"offer-{typed}"
    await runtime.handle(said(question, sender=sender))

    (offer,) = (await runtime.handle(said(typed, sender=sender))).replies
    (fallback,) = (
        await runtime.handle(said("what is the capital of Mongolia", sender=sender))
    ).replies

    assert _shown([offer, fallback])[0] == ("offer_person", line, ["/human"])
    assert fallback.meta["kind"] == "fallback"
    conversation = await store.get_conversation(offer.conversation_id)
    assert conversation.state is ConversationState.BOT
    assert await store.handoffs(conversation.id) == []
    (feedback,) = await store.feedback(conversation.id)
    assert feedback.helpful is False


@pytest.mark.parametrize(
    ("question", "typed", "line"),
    [
        (VPN_EN, "yes", "Glad it helped! Ask me anything else any time."),
        (VPN_EN, "Yes, that helped", "Glad it helped! Ask me anything else any time."),
        (VPN_EN, "thanks", "You're welcome! Ask me anything else any time."),
        (VPN_DA, "ja", "Godt at det hjalp! Spørg bare igen når som helst."),
        (VPN_DA, "det hjalp", "Selv tak! Spørg bare igen når som helst."),
        (VPN_DA, "perfekt, tak", "Selv tak! Spørg bare igen når som helst."),
        (VPN_EN, "\U0001f44d", "Glad it helped! Ask me anything else any time."),
        (VPN_DA, "\U0001f44d\U0001f3fd", "Godt at det hjalp! Spørg bare igen når som helst."),
    ],
)
async def test_a_typed_yes_after_an_answer_is_feedback_and_thanked(
    runtime: Runtime, store: SqlStore, question: str, typed: str, line: str
) -> None:
    sender = f"yes-{typed}"
    (answer,) = (await runtime.handle(said(question, sender=sender))).replies

    (reply,) = (await runtime.handle(said(typed, sender=sender))).replies

    assert (reply.text, reply.buttons) == (line, ())
    (feedback,) = await store.feedback(answer.conversation_id)
    assert (feedback.helpful, feedback.message_id) == (True, answer.id)
    conversation = await store.get_conversation(answer.conversation_id)
    assert conversation.state is ConversationState.BOT


@pytest.mark.parametrize(
    ("question", "typed", "line"),
    [
        (VPN_EN, "no thanks", "Okay. Ask me anything else any time."),
        (VPN_DA, "nej tak", "Okay. Spørg bare igen når som helst."),
    ],
)
async def test_no_thanks_after_an_answer_declines_and_stays_with_the_bot(
    runtime: Runtime, store: SqlStore, question: str, typed: str, line: str
) -> None:
    sender = f"decline-{typed}"
    (answer,) = (await runtime.handle(said(question, sender=sender))).replies

    (reply,) = (await runtime.handle(said(typed, sender=sender))).replies

    assert (reply.meta["kind"], reply.text) == ("small_talk", line)
    conversation = await store.get_conversation(answer.conversation_id)
    assert conversation.state is ConversationState.BOT
    assert await store.handoffs(conversation.id) == []
    assert await store.feedback(conversation.id) == []


@pytest.mark.parametrize(
    ("question", "typed"),
    [
        (VPN_EN, "no, and now I forgot my password too"),
        (VPN_DA, "nej, og jeg har glemt min adgangskode"),
    ],
)
async def test_a_no_that_states_a_new_problem_is_searched_as_a_question(
    runtime: Runtime, store: SqlStore, question: str, typed: str
) -> None:
    sender = f"more-{typed}"
    await runtime.handle(said(question, sender=sender))

    (reply,) = (await runtime.handle(said(typed, sender=sender))).replies

    assert (reply.meta["kind"], reply.meta["article_id"]) == ("answer", "password-reset")
    assert await store.feedback(reply.conversation_id) == []


@pytest.mark.parametrize(
    ("first", "kind"),
    [("no", "fallback"), ("nej", "fallback"), ("ja", "small_talk"), ("yes", "fallback")],
)
async def test_away_from_an_answer_no_and_yes_are_not_verdicts(
    runtime: Runtime, store: SqlStore, first: str, kind: str
) -> None:
    (reply,) = (await runtime.handle(said(first, sender=f"alone-{first}"))).replies

    assert reply.meta["kind"] == kind
    assert await store.feedback(reply.conversation_id) == []


async def _queued(runtime: Runtime, ask: str, *, sender: str) -> UUID:
    handled = await runtime.handle(said(ask, sender=sender))
    conversation = await runtime.store.get_conversation(handled.conversation.id)
    assert conversation.state is ConversationState.QUEUED
    return conversation.id


@pytest.mark.parametrize(
    ("ask", "question", "typed", "line", "helpful"),
    [
        (
            "can I talk to a person",
            VPN_EN,
            "no it didn't",
            "Sorry that did not help. A person will reply here; you are number 1 in the queue.",
            False,
        ),
        (
            "kan jeg tale med et menneske",
            VPN_DA,
            "nej, det hjalp ikke",
            "Ærgerligt at det ikke hjalp. En medarbejder svarer her; du er nummer 1 i køen.",
            False,
        ),
        (
            "kan jeg tale med et menneske",
            VPN_DA,
            "ja",
            "Godt at det hjalp! Du beholder din plads i køen, og en medarbejder svarer her.",
            True,
        ),
    ],
)
async def test_a_typed_verdict_in_the_queue_is_the_buttons(
    runtime: Runtime,
    store: SqlStore,
    on_shift: int,
    ask: str,
    question: str,
    typed: str,
    line: str,
    helpful: bool,
) -> None:
    sender = f"queued-{typed}"
    conversation_id = await _queued(runtime, ask, sender=sender)
    (answer,) = (await runtime.handle(said(question, sender=sender))).replies

    (reply,) = (await runtime.handle(said(typed, sender=sender))).replies

    assert (reply.text, reply.buttons) == (line, ())
    (feedback,) = await store.feedback(conversation_id)
    assert (feedback.message_id, feedback.helpful) == (answer.id, helpful)
    assert len(await store.handoffs(conversation_id)) == 1


@pytest.mark.parametrize(("question", "typed"), [(VPN_EN, "didn't help"), (VPN_DA, "nej")])
async def test_a_typed_no_is_not_an_unanswered_question(
    runtime: Runtime, store: SqlStore, question: str, typed: str
) -> None:
    await runtime.handle(said(question, sender=f"gap-{typed}"))
    handed = await runtime.handle(said(typed, sender=f"gap-{typed}"))

    assert handed.replies[-1].meta["kind"] == "handoff"
    assert [m.text for m in await store.unanswered_messages()] == [typed]
    assert unanswered_questions(await store.unanswered_messages()) == []
