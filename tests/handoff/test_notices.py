"""Notices as customers see them: audience, placeholders, and material wait changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.model import Notice
from handoff.notices import (
    Audience,
    NoticeState,
    changed_materially,
    for_conversation,
    notice_state,
    render,
    text_in,
    used_placeholders,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def notice(notice_id: int, audience: str | None, **texts: str) -> Notice:
    return Notice(
        id=notice_id,
        texts=texts or {"en": "Hello"},
        starts_at=NOW,
        ends_at=None,
        audience=audience,
    )


@pytest.mark.parametrize(
    ("stored", "audience"),
    [
        (None, Audience()),
        ("team:it-support", Audience(team="it-support")),
        ("channel:web", Audience(channel="web")),
        ("team:it-support,channel:telegram", Audience(team="it-support", channel="telegram")),
    ],
)
def test_the_audience_reads_back_what_was_stored(stored: str | None, audience: Audience) -> None:
    assert Audience.parse(stored) == audience
    assert audience.stored() == stored


@pytest.mark.parametrize("stored", ["everyone", "team:", "language:da"])
def test_a_malformed_audience_is_refused(stored: str) -> None:
    with pytest.raises(ValueError, match="audience"):
        Audience.parse(stored)


@pytest.mark.parametrize(
    ("team", "channel", "expected"),
    [
        ("it-support", "web", [1, 2, 3, 4]),
        ("it-support", "telegram", [1, 2]),
        ("accounts", "web", [1, 3]),
        (None, "web", [1, 3]),  # not routed yet: team notices wait until it is
    ],
)
def test_notices_reach_only_their_audience(
    team: str | None, channel: str, expected: list[int]
) -> None:
    notices = [
        notice(1, None),
        notice(2, "team:it-support"),
        notice(3, "channel:web"),
        notice(4, "team:it-support,channel:web"),
        notice(5, "garbage"),  # edited by hand into nonsense: shown to nobody
    ]
    shown = for_conversation(notices, team=team, channel=channel)
    assert [n.id for n in shown] == expected


def test_placeholders_are_filled_and_other_braces_kept() -> None:
    text = "Busy {day}: you are number {position}, about {eta}; back {next_open}. {0.__class__}"
    rendered = render(text, {"position": "3", "eta": "10 to 20 minutes", "next_open": "at 8"})
    assert rendered == (
        "Busy {day}: you are number 3, about 10 to 20 minutes; back at 8. {0.__class__}"
    )


def test_a_placeholder_without_a_value_stays_as_written() -> None:
    assert render("About {eta}", {}) == "About {eta}"


def test_only_the_placeholders_used_are_reported() -> None:
    assert used_placeholders("Wait {eta} ({position})") == {"eta", "position"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [("da", "Hej"), ("en", "Hello"), ("fr", "Hello")],
)
def test_the_text_in_the_customers_language(language: str, expected: str) -> None:
    assert text_in(notice(1, None, en="Hello", da="Hej"), language) == expected


def test_a_notice_in_one_language_is_shown_in_it_to_everyone() -> None:
    assert text_in(notice(1, None, da="Hej"), "en") == "Hej"


@pytest.mark.parametrize(
    ("old", "new", "material"),
    [
        (None, (300.0, 900.0), True),  # the first estimate
        ((300.0, 900.0), None, True),  # nobody on shift any more
        ((300.0, 900.0), (330.0, 1000.0), False),  # small drift
        ((300.0, 900.0), (300.0, 1300.0), True),  # the high end moved 400 s
        ((60.0, 120.0), (100.0, 150.0), True),  # short waits: a relative jump
        (None, None, False),
    ],
)
def test_a_wait_changes_materially(
    old: tuple[float, float] | None, new: tuple[float, float] | None, material: bool
) -> None:
    assert changed_materially(old, new) is material


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "state"),
    [
        (NOW + HOUR, None, NoticeState.SCHEDULED),
        (NOW + HOUR, NOW + 2 * HOUR, NoticeState.SCHEDULED),
        (NOW, None, NoticeState.ACTIVE),
        (NOW - HOUR, NOW + HOUR, NoticeState.ACTIVE),
        (NOW - 2 * HOUR, NOW, NoticeState.ENDED),
        (NOW - 2 * HOUR, NOW - HOUR, NoticeState.ENDED),
    ],
    ids=["later", "later-with-end", "open-end", "running", "ends-now", "over"],
)
def test_a_notice_state_follows_its_window(
    starts_at: datetime, ends_at: datetime | None, state: NoticeState
) -> None:
    shown = Notice(id=1, texts={"en": "Hi"}, starts_at=starts_at, ends_at=ends_at, audience=None)
    assert notice_state(shown, NOW) is state
