"""The one table of payloads: what the bot's buttons send is read back as it was meant."""

from __future__ import annotations

import pytest

from handoff import payloads


@pytest.mark.parametrize("verdict", [True, False])
def test_a_helpful_button_is_read_back_as_its_verdict(verdict: bool) -> None:
    built = payloads.helpful(verdict)
    assert (payloads.is_helpful(built), payloads.helpful_verdict(built)) == (True, verdict)


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_a_rating_button_is_read_back_as_its_rating(rating: int) -> None:
    assert payloads.rating_of(payloads.rate(rating)) == rating


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_one_to_five_is_no_button(rating: int) -> None:
    with pytest.raises(ValueError, match="1-5"):
        payloads.rate(rating)


@pytest.mark.parametrize(
    ("payload", "rating"),
    [("/rate 3", 3), ("/rate 6", None), ("/rate", None), ("/rated 3", None), (None, None)],
)
def test_rating_of(payload: str | None, rating: int | None) -> None:
    assert payloads.rating_of(payload) == rating


def test_a_clarification_choice_is_read_back_as_its_article() -> None:
    assert payloads.requested_article(payloads.article("vpn-connect")) == "vpn-connect"


def test_commands_typed_on_a_channel_are_the_commands_the_runtime_answers() -> None:
    typed = set(payloads.TYPED_COMMANDS.values())
    assert (typed - payloads.COMMANDS, payloads.COMMANDS - typed) == (
        {payloads.HUMAN},
        {payloads.UNSUPPORTED},
    )


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/end", payloads.END),
        ("/END now", payloads.END),
        ("/help", payloads.HELP),
        ("/human", payloads.HUMAN),
        ("/start@helpline_bot vpn", payloads.START),
        ("/ends", None),
        ("what does /end do?", None),
        ("/rate 5", None),
        ("", None),
    ],
)
def test_a_typed_command_is_read_by_its_first_word(text: str, payload: str | None) -> None:
    assert payloads.typed_command(text) == payload
