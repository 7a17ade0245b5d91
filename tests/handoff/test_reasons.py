"""The one table of handoff reasons in words."""

from __future__ import annotations

import pytest

from handoff.model import HandoffReason
from handoff.reasons import REASON_TEXT, describe_reason, reason_sentence


def test_every_reason_has_words() -> None:
    assert set(REASON_TEXT) == set(HandoffReason)


@pytest.mark.parametrize(
    ("detail", "line"),
    [
        (None, "the customer sounded frustrated"),
        ("word 'useless'", "the customer sounded frustrated (word 'useless')"),
    ],
)
def test_a_reason_reads_with_its_detail(detail: str | None, line: str) -> None:
    assert describe_reason(HandoffReason.FRUSTRATION, detail) == line


def test_a_reason_on_a_line_of_its_own_starts_with_a_capital() -> None:
    assert reason_sentence(HandoffReason.CUSTOMER_ASKED) == "The customer asked for a person"
