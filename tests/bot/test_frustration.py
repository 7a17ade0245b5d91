"""Signs of frustration in a customer's message."""

from __future__ import annotations

import pytest

from bot.dialogue.frustration import FrustrationRules, Sign, detect, is_shouting, normalise

RULES = FrustrationRules(words=("useless", "waste of time", "elendig"))
EARLIER = ("How do I connect to the VPN from home?",)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("this bot is useless", Sign.WORDS),
        ("Useless!!", Sign.WORDS),
        ("what a waste of time", Sign.WORDS),
        ("det er elendig", Sign.WORDS),
        ("THE VPN STILL DOES NOT WORK", Sign.SHOUTING),
        ("how do I connect to the vpn from home", Sign.REPEATED_QUESTION),
        ("How do I connect to the VPN from home??", Sign.REPEATED_QUESTION),
        ("how do I reset my password", None),
        ("VPN", None),  # too short to be shouting
        ("ok", None),  # too short to be a repeated question
        ("the museless poem", None),  # a word inside another word is no match
    ],
)
def test_detect(text: str, sign: Sign | None) -> None:
    found = detect(text, EARLIER, RULES)
    assert (found.sign if found else None) is sign


def test_a_sign_turned_off_is_not_detected() -> None:
    rules = FrustrationRules(shouting=False)
    assert detect("THE VPN STILL DOES NOT WORK", (), rules) is None


def test_the_detail_names_the_word() -> None:
    found = detect("useless", (), RULES)
    assert found is not None
    assert found.detail == "word 'useless'"


@pytest.mark.parametrize(
    ("text", "shouting"),
    [("I AM VERY ANGRY NOW", True), ("I am very angry now", False), ("VPN issue again", False)],
)
def test_is_shouting(text: str, shouting: bool) -> None:
    assert is_shouting(text, min_letters=8) is shouting


def test_normalise_drops_punctuation_and_case() -> None:
    assert normalise("  Hvad   så?! VPN ") == "hvad så vpn"
