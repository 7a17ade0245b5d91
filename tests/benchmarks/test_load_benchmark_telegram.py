"""The load benchmark's Telegram channel runs end to end at a tiny level: a real service
polling (or called by) the fake Bot API, the transcript checked against what was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load import telegram
from benchmarks.load.run import HEADER, PERSON, main
from handoff.model import HandoffReason
from tests.benchmarks.queued import queued_handoffs

pytestmark = pytest.mark.long


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_a_tiny_telegram_run_prints_its_row_and_loses_nothing(
    mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (result,) = main(
        # A message every 2 s per chat from a start within the first 2 s: one from each chat.
        ["--channel", "telegram", "--telegram-mode", mode, "--levels", "3", "--duration", "2"]
    )

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    assert result.per_second > 0
    assert result.channel == f"Telegram ({mode})"
    assert capsys.readouterr().out.startswith(
        f"Channel: Telegram ({mode})\n{HEADER}\n| SQLite | 3 | 2 |"
    )


async def test_a_telegram_customer_asking_for_a_person_under_load_is_queued(
    tmp_path: Path,
) -> None:
    # One message a second per chat: the request for a person (the second) fits the run.
    result = await telegram.run_level(
        database="sqlite",
        level=3,
        duration_s=3,
        rate=3,
        person_share=1 / 3,
        workdir=tmp_path,
        seed=7,
        mode="webhook",
    )

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    queued = await queued_handoffs(f"sqlite+aiosqlite:///{tmp_path / 'load-3.db'}", PERSON)
    assert queued.count((HandoffReason.CUSTOMER_ASKED, True)) == 1
    assert (HandoffReason.CUSTOMER_ASKED, False) not in queued
