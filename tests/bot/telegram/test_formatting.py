"""Article Markdown as Telegram entities, and splitting at 4096 UTF-16 units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.telegram.formatting import (
    Entity,
    FormattedText,
    markdown_to_telegram,
    split_formatted,
    split_text,
    utf16_len,
)


def _spans(formatted: FormattedText) -> list[tuple[str, str]]:
    raw = formatted.text.encode("utf-16-le")
    return [
        (e.kind, raw[e.offset * 2 : (e.offset + e.length) * 2].decode("utf-16-le"))
        for e in formatted.entities
    ]


@pytest.mark.parametrize(
    ("markdown", "text", "spans"),
    [
        ("Open **Secure Client**", "Open Secure Client", [("bold", "Secure Client")]),
        ("an *important* step", "an important step", [("italic", "important")]),
        ("snake_case_name stays", "snake_case_name stays", []),
        ("type `vpn.example.org`", "type vpn.example.org", [("code", "vpn.example.org")]),
        ("go [here](https://x.org)", "go here", [("text_link", "here")]),
        # An unsafe target is no link: the text stays as written.
        ("no [script](javascript:alert)", "no [script](javascript:alert)", []),
        (
            "**https://password.example.org**",
            "https://password.example.org",
            [
                ("text_link", "https://password.example.org"),
                ("bold", "https://password.example.org"),
            ],
        ),
        ("see https://x.org/a.", "see https://x.org/a.", [("text_link", "https://x.org/a")]),
        ("write to it@example.org", "write to it@example.org", []),
        ("1. one\n2. **two**", "1. one\n2. two", [("bold", "two")]),
        ("# Heading", "Heading", [("bold", "Heading")]),
        ("- one\n- two", "• one\n• two", []),
        ("```\nls -l\n```", "ls -l", [("pre", "ls -l")]),
        ("😀 **bold** after emoji", "😀 bold after emoji", [("bold", "bold")]),
        (r"a \*literal\* star", "a *literal* star", []),
        ("<b>not html</b>", "<b>not html</b>", []),
    ],
)
def test_markdown_becomes_text_and_entities(
    markdown: str, text: str, spans: list[tuple[str, str]]
) -> None:
    formatted = markdown_to_telegram(markdown)
    assert (formatted.text, _spans(formatted)) == (text, spans)


@given(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400),
    st.integers(min_value=2, max_value=40),
)
def test_split_pieces_fit_and_join_back(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(0 < utf16_len(piece) <= limit for piece in pieces)


@given(st.text(alphabet="a \n😀é𝄞", max_size=400), st.integers(min_value=2, max_value=9))
def test_split_never_cuts_a_surrogate_pair(text: str, limit: int) -> None:
    for piece in split_text(text, limit):
        assert piece.encode("utf-16-le").decode("utf-16-le", errors="strict") == piece


def test_emoji_count_twice_against_telegrams_limit() -> None:
    pieces = split_text("😀" * 3000)
    assert [utf16_len(p) for p in pieces] == [4096, 1904]


def test_split_prefers_a_line_break() -> None:
    text = "a" * 3000 + "\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000 + "\n", "b" * 3000]


def test_entities_are_cut_to_their_piece() -> None:
    formatted = FormattedText("x" * 10, (Entity("bold", 2, 6),))
    pieces = split_formatted(formatted, limit=5)
    assert [p.entities for p in pieces] == [(Entity("bold", 2, 3),), (Entity("bold", 0, 3),)]
