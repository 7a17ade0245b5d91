"""The English/Danish language guess."""

from __future__ import annotations

import pytest

from knowledge.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I connect to the VPN?", "en"),
        ("my password does not work", "en"),
        ("I can't log in", "en"),
        ("Hvordan forbinder jeg til VPN?", "da"),
        ("min adgangskode virker ikke", "da"),
        ("Kan I hjælpe?", "da"),
        ("printeren på 2. sal", "da"),
        ("Jeg har glemt min adgangskode", "da"),
        ("VPN", None),
        ("wifi", None),
        ("", None),
        ("?! \x00 \ud800", None),
        ("the printer er", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_only_the_start_of_a_huge_text_is_read() -> None:
    assert detect_language("the printer " * 1000 + "og ikke jeg " * 100_000) == "en"
