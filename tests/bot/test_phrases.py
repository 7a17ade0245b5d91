"""The bot's own sentences: languages, fallbacks and deployment overrides."""

from __future__ import annotations

import re

import pytest

from bot.dialogue.phrases import Phrases
from handoff import payloads


def test_danish_and_english_defaults() -> None:
    phrases = Phrases()
    assert phrases.get("button_person", "en") == "Talk to a person"
    assert phrases.get("button_person", "da") == "Tal med en medarbejder"


def test_unknown_language_falls_back_to_the_default_language() -> None:
    assert Phrases(default_language="da").get("button_person", "fr") == "Tal med en medarbejder"


def test_deployment_override_wins() -> None:
    phrases = Phrases(overrides={"en": {"button_person": "Ask IT"}})
    assert phrases.get("button_person", "en") == "Ask IT"
    assert phrases.get("button_person", "da") == "Tal med en medarbejder"


def test_placeholders_are_filled() -> None:
    text = Phrases().get("agent_joined", "en", agent="Maria", team="IT support")
    assert text == "Maria from IT support has joined the conversation."


def test_unknown_key_raises() -> None:
    with pytest.raises(KeyError):
        Phrases().get("no-such-phrase", "en")


def test_the_danish_phrases_offer_a_medarbejder_as_the_button_does() -> None:
    # The button says "Tal med en medarbejder": a sentence that tells the customer what to
    # ask for uses the same word, not "en person".
    phrases = Phrases()
    assert phrases.get("handed_back", "da") == (
        "Du er tilbage hos botten. Spørg mig om noget, eller bed om en medarbejder."
    )


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("key", ["help", "small_talk_help"])
def test_every_command_the_help_names_is_one_a_customer_can_type(key: str, language: str) -> None:
    # The help is the same on every channel, and every channel reads a typed command alike.
    named = re.findall(r"(?<![\w/])/\w+", Phrases().get(key, language))
    unknown = [word for word in named if payloads.typed_command(word) is None]
    assert (bool(named), unknown) == (True, [])
