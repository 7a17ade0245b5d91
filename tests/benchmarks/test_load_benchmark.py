"""The load benchmark runs end to end at a tiny level: a real service, real HTTP, checked."""

from __future__ import annotations

import pytest

from benchmarks.load.run import HEADER, main


def test_a_tiny_run_prints_its_row_and_loses_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    (result,) = main(["--levels", "3", "--duration", "3", "--rate", "30"])

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    assert result.acked > 0
    assert result.rss_mb > 0
    assert capsys.readouterr().out.startswith(HEADER + "\n| SQLite | 3 | 30 |")
