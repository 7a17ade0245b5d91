"""The name customers see: kept apart from the login, which must not be guessable from it."""

from __future__ import annotations

import pytest

from handoff.display_names import DisplayNameRefused, check_display_name, login_from_name


@pytest.mark.parametrize(
    ("login", "name", "guessable"),
    [
        ("maria", "Maria", True),
        ("Maria.H", "Maria", True),
        ("hansen-m", "Maria Hansen", True),
        ("mariahansen", "Maria Hansen", True),
        ("soren", "Søren", True),
        ("aeble", "Æble", True),
        ("jose", "José", True),
        ("mh-7", "Maria", False),
        ("mhansen", "Maria", False),
        ("jonas", "Jo", False),  # two letters prove nothing
        ("jo", "Jo", True),  # the whole name does
        ("desk-4", "Support team", False),
    ],
)
def test_a_login_is_guessable_from_the_name_customers_see(
    login: str, name: str, guessable: bool
) -> None:
    assert login_from_name(login, name) is guessable


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("   ", "cannot be empty"),
        ("M" * 65, "up to 64"),
        ("Maria\u202e", "control characters"),
        ("Ma\nria", "control characters"),
        ("Sofie", "must not contain it"),
    ],
)
def test_an_unfit_display_name_is_refused_with_the_reason(name: str, says: str) -> None:
    with pytest.raises(DisplayNameRefused, match=says):
        check_display_name(name, login="sofie")


def test_a_fit_display_name_is_kept_trimmed() -> None:
    assert check_display_name("  Maria H. ", login="mh-7") == "Maria H."
