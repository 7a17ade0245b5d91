"""`helpline notice`: post, list and end notices on a real SQLite file, through click."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main


@pytest.fixture
def config(tmp_path: Path, knowledge_dir: Path) -> Path:
    path = tmp_path / "helpline.toml"
    path.write_text(
        f"""[helpline]
database_url = "sqlite+aiosqlite:///{tmp_path / "cli.db"}"
knowledge_dir = "{knowledge_dir}"
time_zone = "Europe/Copenhagen"

[[helpline.teams]]
id = "it-support"
name = "IT support"
""",
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["notice", args[0], "--config", str(config), *args[1:]])


def test_a_posted_notice_is_listed_as_active_in_both_languages(config: Path) -> None:
    posted = run(config, "post", "--text", "Slow today: {eta}", "--text-da", "Langsomt i dag",
                 "--until", "2h")  # fmt: skip
    assert posted.exit_code == 0, posted.output
    listed = run(config, "list")
    assert listed.exit_code == 0, listed.output
    assert "#1 active" in listed.output
    assert "[en] Slow today: {eta}" in listed.output
    assert "[da] Langsomt i dag" in listed.output


def test_a_notice_in_one_language_says_what_the_others_read(config: Path) -> None:
    posted = run(config, "post", "--text", "Slow today: {eta}", "--until", "2h")
    assert posted.exit_code == 0, posted.output
    assert (
        "note: no Danish text: customers who write Danish read another language's "
        "(--text-da gives them their own)"
    ) in posted.output
    both = run(config, "post", "--text", "Slow", "--text-da", "Langsomt", "--until", "2h")
    assert "note:" not in both.output


def test_a_notice_for_one_team_and_channel_says_so(config: Path) -> None:
    run(config, "post", "--text", "VPN outage", "--until", "90m", "--team", "it-support",
        "--channel", "web")  # fmt: skip
    assert "(team:it-support,channel:web)" in run(config, "list").output


def test_a_scheduled_notice_is_listed_as_scheduled(config: Path) -> None:
    run(config, "post", "--text", "Maintenance tonight", "--from", "1d", "--until", "2h")
    assert "#1 scheduled" in run(config, "list").output


def test_an_ended_notice_is_listed_only_with_all(config: Path) -> None:
    run(config, "post", "--text", "Busy", "--until", "2h")
    ended = run(config, "end", "1")
    assert ended.exit_code == 0, ended.output
    assert run(config, "list").output.strip() == "no notices"
    assert "#1 ended" in run(config, "list", "--all").output


def test_a_notice_that_ends_before_it_starts_is_refused(config: Path) -> None:
    result = run(config, "post", "--text", "Busy", "--from", "2h", "--until", "2026-01-01T00:00")
    assert result.exit_code == 1
    assert "must end after it starts" in result.output


def test_a_notice_without_text_is_refused(config: Path) -> None:
    result = run(config, "post", "--until", "2h")
    assert result.exit_code == 1
    assert "needs a text" in result.output


def test_an_unknown_team_is_refused(config: Path) -> None:
    result = run(config, "post", "--text", "Busy", "--until", "2h", "--team", "nobody")
    assert result.exit_code == 1
    assert "unknown team 'nobody'" in result.output


def test_ending_an_unknown_notice_says_so(config: Path) -> None:
    result = run(config, "end", "42")
    assert result.exit_code == 1
    assert "no notice 42" in result.output


def test_times_are_listed_on_the_deployments_clock_with_its_zone(config: Path) -> None:
    # 00:30 in Copenhagen is 23:30 UTC the day before: the list must say the 6th, and CET.
    run(config, "post", "--text", "Maintenance", "--from", "2030-01-06T00:30",
        "--until", "2030-01-06T02:00")  # fmt: skip
    listed = run(config, "list").output
    assert "#1 scheduled 2030-01-06 00:30 CET to 2030-01-06 02:00 CET" in listed
    assert "2030-01-05" not in listed
