"""The load benchmark runs end to end at a tiny level: a real service, real HTTP, checked.

A second of load is enough: about thirty messages, each checked in the transcript.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load.run import HEADER, PERSON, main, run_level
from handoff.model import HandoffReason
from tests.benchmarks.queued import queued_handoffs
from tests.conftest import postgres_url

pytestmark = pytest.mark.long


def test_a_tiny_run_prints_its_row_and_loses_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    (result,) = main(["--levels", "3", "--duration", "1", "--rate", "30"])

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    assert result.acked > 0
    assert result.rss_mb > 0
    assert capsys.readouterr().out.startswith(HEADER + "\n| SQLite | 3 | 30 |")


async def test_a_customer_asking_for_a_person_under_load_is_queued(tmp_path: Path) -> None:
    result = await run_level(
        database="sqlite",
        level=3,
        # Seconds of slack for the second message (the request) behind a slow first answer.
        duration_s=3,
        rate=30,
        person_share=1 / 3,
        workdir=tmp_path,
        seed=7,
    )

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    queued = await queued_handoffs(f"sqlite+aiosqlite:///{tmp_path / 'load-3.db'}", PERSON)
    assert queued.count((HandoffReason.CUSTOMER_ASKED, True)) == 1
    assert (HandoffReason.CUSTOMER_ASKED, False) not in queued


@pytest.mark.postgres
def test_a_tiny_run_on_two_processes_loses_nothing(
    postgres_admin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--levels", "4", "--duration", "1", "--rate", "40", "--processes", "2"]
    (result,) = main([*args, "--database", postgres_url()])

    assert (result.acked, result.errors, result.lost) == (result.sent, 0, 0)
    assert result.acked > 0
    assert capsys.readouterr().out.startswith(HEADER + "\n| PostgreSQL, 2 processes | 4 | 40 |")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--processes", "2"], "several processes need the web channel and PostgreSQL"),
        (
            ["--processes", "2", "--channel", "telegram", "--database", "postgresql://x/y"],
            "several processes need the web channel and PostgreSQL",
        ),
        (["--processes", "0"], "--processes must be at least 1"),
    ],
)
def test_several_processes_need_the_web_chat_and_postgresql(
    args: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(args)

    assert f"error: {error}" in capsys.readouterr().err
