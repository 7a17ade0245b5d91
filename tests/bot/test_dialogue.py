"""The dialogue policy: person requests and the answer / clarify / fallback decision."""

from __future__ import annotations

import pytest

from bot.dialogue.answer_policy import (
    Outcome,
    Thresholds,
    asks_for_person,
    decide,
    says_more_than_the_ask,
)
from handoff.payloads import requested_article
from knowledge.index import Candidate
from tests.knowledge.articles import make_article

PERSON_REQUESTS = [
    "can I talk to a person",
    "Can I talk to a person?",
    "I want to speak with a human",
    "please connect me to an agent",
    "let me talk to someone",
    "human",
    "/human",
    "AGENT!",
    "kan jeg tale med et menneske",
    "Kan jeg tale med en medarbejder?",
    "jeg vil gerne snakke med en rigtig person",
    "jeg har brug for en medarbejder",
    "medarbejder",
    "tal med en medarbejder",
    "Snak med et menneske",
    "kan jeg få fat i en medarbejder?",
    "stil mig videre til en medarbejder",
]

NOT_PERSON_REQUESTS = [
    "how do I reset my password",
    "my VPN does not work",
    "the person who left needs their account closed",
    "human resources portal is down",
    "hvordan nulstiller jeg min adgangskode",
    "",
    "Jeg kan ikke få fat i nogen på mailen",
    "Hvordan kan jeg chat med en kollega i Teams?",
]


@pytest.mark.parametrize("text", PERSON_REQUESTS)
def test_person_requests_are_recognised(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize("text", NOT_PERSON_REQUESTS)
def test_questions_are_not_person_requests(text: str) -> None:
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    ("text", "more"),
    [
        ("I need a person, my printer is on fire", True),
        ("jeg vil gerne tale med en person, min printer virker ikke", True),
        ("I want to talk to a person about my invoice", True),
        ("hej, jeg vil gerne tale med en medarbejder om min løn", True),
        ("talk to a person, outlook keeps crashing", True),
        ("I want a person", False),
        ("Can I talk to a real person right now, please?", False),
        ("I'd like to speak with someone, it's urgent", False),
        ("hello, I need a human asap", False),
        ("kan jeg få lov at tale med en medarbejder tak", False),
        ("tal med en medarbejder", False),
        ("jeg vil gerne have fat i en medarbejder nu", False),
        ("stil mig videre til en medarbejder, min skærm er gået i stykker", True),
        ("jeg vil gerne snakke med en rigtig person nu", False),
        ("I need a human, this is not working", False),
        ("this bot is useless, I want a person", False),
        ("I want to talk to a person, not a bot", False),
    ],
)
def test_a_request_for_a_person_may_also_say_what_about(text: str, more: bool) -> None:
    assert (asks_for_person(text), says_more_than_the_ask(text)) == (True, more)


def _candidate(article_id: str, score: float) -> Candidate:
    article = make_article(article_id, questions=(article_id,), answer="answer")
    return Candidate(article=article, score=score, matched=article_id)


THRESHOLDS = Thresholds(answer=0.5, clarify_margin=0.05)


@pytest.mark.parametrize(
    ("scores", "outcome", "chosen"),
    [
        ([("a", 0.9), ("b", 0.4)], Outcome.ANSWER, ["a"]),
        ([("a", 0.9), ("b", 0.84)], Outcome.ANSWER, ["a"]),
        ([("a", 0.9), ("b", 0.87)], Outcome.CLARIFY, ["a", "b"]),
        # two translations of one article
        ([("a", 0.9), ("a", 0.89), ("b", 0.4)], Outcome.ANSWER, ["a"]),
        ([("a", 0.9), ("a", 0.89), ("b", 0.88)], Outcome.CLARIFY, ["a", "b"]),
        ([("a", 0.7), ("b", 0.69), ("c", 0.68), ("d", 0.67)], Outcome.CLARIFY, ["a", "b", "c"]),
        ([("a", 0.49), ("b", 0.48)], Outcome.FALLBACK, ["a"]),
        ([], Outcome.FALLBACK, []),
    ],
)
def test_decide(scores: list[tuple[str, float]], outcome: Outcome, chosen: list[str]) -> None:
    decision = decide([_candidate(a, s) for a, s in scores], THRESHOLDS)
    assert decision.outcome is outcome
    assert [c.article.id for c in decision.candidates] == chosen


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("/article vpn-connect", "vpn-connect"), ("/article ", None), ("/human", None), (None, None)],
)
def test_requested_article(payload: str | None, expected: str | None) -> None:
    assert requested_article(payload) == expected
