"""A typed rating after "How did we do?": "5", "4 out of 5", "5 stjerner", "⭐⭐⭐⭐"."""

from __future__ import annotations

import pytest

from bot.dialogue.rating import recognise


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
