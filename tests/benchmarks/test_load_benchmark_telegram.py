"""The load benchmark's Telegram channel runs end to end at a tiny level: a real service
polling (or called by) the fake Bot API, the transcript checked against what was written."""

from __future__ import annotations

import pytest

from benchmarks.load.run import HEADER, main


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_a_tiny_telegram_run_prints_its_row_and_loses_nothing(
    mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (result,) = main(
        ["--channel", "telegram", "--telegram-mode", mode, "--levels", "3", "--duration", "3"]
    )

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    assert result.per_second > 0
    assert result.channel == f"Telegram ({mode})"
    assert capsys.readouterr().out.startswith(
        f"Channel: Telegram ({mode})\n{HEADER}\n| SQLite | 3 | 2 |"
    )
