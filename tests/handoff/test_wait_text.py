"""Wait estimates in customer words, English and Danish."""

from __future__ import annotations

from datetime import datetime

import pytest

from handoff.estimate import WaitEstimate
from handoff.wait_text import WaitKind, WaitWording, format_wait, wait_wording

NOW = datetime(2026, 3, 6, 17, 30)  # a Friday evening


def _estimate(
    low_min: float, high_min: float, available_at: datetime | None = None
) -> WaitEstimate:
    point = (low_min + high_min) / 2 * 60
    return WaitEstimate(
        point_s=point,
        low_s=low_min * 60,
        high_s=high_min * 60,
        available_at=available_at,
        handle_s=360.0,
        patience_s=600.0,
    )


BUCKETS = [
    # (low min, high min) -> wording
    ((0.1, 1.0), WaitWording(WaitKind.LESS_THAN, high_min=5)),
    ((2.0, 5.0), WaitWording(WaitKind.LESS_THAN, high_min=5)),
    ((3.0, 12.0), WaitWording(WaitKind.LESS_THAN, high_min=15)),
    ((12.0, 18.0), WaitWording(WaitKind.RANGE, low_min=10, high_min=20)),
    ((10.0, 10.0), WaitWording(WaitKind.RANGE, low_min=10, high_min=15)),
    ((25.0, 40.0), WaitWording(WaitKind.RANGE, low_min=15, high_min=45)),
    ((50.0, 100.0), WaitWording(WaitKind.RANGE, low_min=30, high_min=120)),
    ((70.0, 200.0), WaitWording(WaitKind.RANGE, low_min=60, high_min=240)),
]


@pytest.mark.parametrize(("range_min", "expected"), BUCKETS)
def test_rounds_outwards_to_human_buckets(
    range_min: tuple[float, float], expected: WaitWording
) -> None:
    assert wait_wording(_estimate(*range_min), NOW) == expected


WORDS = [
    (WaitWording(WaitKind.LESS_THAN, high_min=5), "en", "less than 5 minutes"),
    (WaitWording(WaitKind.LESS_THAN, high_min=5), "da", "mindre end 5 minutter"),
    (WaitWording(WaitKind.RANGE, low_min=10, high_min=20), "en", "about 10-20 minutes"),
    (WaitWording(WaitKind.RANGE, low_min=10, high_min=20), "da", "cirka 10-20 minutter"),
    (WaitWording(WaitKind.RANGE, low_min=60, high_min=240), "en", "about 1-4 hours"),
    (WaitWording(WaitKind.RANGE, low_min=60, high_min=240), "da", "cirka 1-4 timer"),
    (WaitWording(WaitKind.LESS_THAN, high_min=180), "en", "less than 3 hours"),
    (WaitWording(WaitKind.RANGE, low_min=10, high_min=20), "fr", "about 10-20 minutes"),
    (WaitWording(WaitKind.UNKNOWN), "en", "a person will reply as soon as someone is available"),
    (WaitWording(WaitKind.UNKNOWN), "da", "en medarbejder svarer, så snart der er en ledig"),
]


@pytest.mark.parametrize(("wording", "language", "expected"), WORDS)
def test_formats_buckets(wording: WaitWording, language: str, expected: str) -> None:
    assert format_wait(wording, language) == expected


BACK = [
    (datetime(2026, 3, 6, 18, 0), "en", "we are back at 18:00"),
    (datetime(2026, 3, 6, 18, 0), "da", "vi er tilbage kl. 18.00"),
    (datetime(2026, 3, 7, 9, 0), "en", "we are back at 09:00 tomorrow"),
    (datetime(2026, 3, 7, 9, 0), "da", "vi er tilbage i morgen kl. 9.00"),
    (datetime(2026, 3, 7, 8, 30), "en", "we are back at 08:30 tomorrow"),
    (datetime(2026, 3, 7, 8, 30), "da", "vi er tilbage i morgen kl. 8.30"),
    (datetime(2026, 3, 9, 8, 0), "en", "we are back at 08:00 on Monday"),
    (datetime(2026, 3, 9, 8, 0), "da", "vi er tilbage mandag kl. 8.00"),
    (datetime(2026, 3, 16, 8, 0), "en", "we are back at 08:00 on 16 March"),
    (datetime(2026, 3, 16, 8, 0), "da", "vi er tilbage den 16. marts kl. 8.00"),
]


@pytest.mark.parametrize(("opens_at", "language", "expected"), BACK)
def test_out_of_hours_says_when_people_are_back(
    opens_at: datetime, language: str, expected: str
) -> None:
    wording = wait_wording(_estimate(5, 10), NOW, opens_at=opens_at)
    assert format_wait(wording, language) == expected


def test_nobody_on_shift_now_says_when_the_next_agent_starts() -> None:
    start = datetime(2026, 3, 9, 8, 0)
    wording = wait_wording(_estimate(900, 960, available_at=start), NOW)
    assert (wording.kind, wording.back_at) == (WaitKind.BACK_AT, start)


def test_an_opening_time_in_the_past_is_ignored() -> None:
    wording = wait_wording(_estimate(12, 18), NOW, opens_at=datetime(2026, 3, 6, 8, 0))
    assert wording == WaitWording(WaitKind.RANGE, low_min=10, high_min=20)


def test_no_estimate_and_no_opening_is_unknown() -> None:
    assert wait_wording(None, NOW).kind is WaitKind.UNKNOWN
