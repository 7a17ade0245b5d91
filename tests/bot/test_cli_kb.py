"""`helpline kb check`, `kb ask`, `kb test` and `kb gaps`, run in-process with click's runner."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.service.composition import KnowledgeHolder, build_runtime, load_snapshot
from bot.settings.model import load_settings
from handoff.store.sql import SqlStore


def kb(*args: str) -> Result:
    return CliRunner().invoke(main, ["kb", *args])


def write_config(tmp_path: Path, database_url: str, knowledge_dir: Path) -> Path:
    config = tmp_path / "helpline.toml"
    config.write_text(
        f'[helpline]\ndatabase_url = "{database_url}"\nknowledge_dir = "{knowledge_dir}"\n',
        "utf-8",
    )
    return config


# kb check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "exit_code", "fragment"),
    [
        ("bad.md", "---\ntitle: [unclosed\n---\nbody\n", 1, "bad.md:2: invalid YAML"),
        ("bad.md", "---\nquestions: [a]\n---\nbody\n", 1, "missing title"),
        ("bad.md", "---\ntitle: A\n---\nbody\n", 1, "bad.md:1: missing questions"),
        ("bad.md", "---\ntitle: A\nquestions: [a]\n---\n", 1, "the answer is empty"),
        ("old.md", "---\ntitle: A\nquestions: [a]\nreview_by: 2000-01-01\n---\nx", 0, "passed"),
        ("odd.md", "---\ntitle: A\nquestions: [a]\ncolour: red\n---\nx", 0, "unknown field"),
        ("md.md", "---\ntitle: A\nquestions: [a]\n---\n# Heading", 0, "md.md:5: warning"),
    ],
)
def test_kb_check_reports_errors_and_warnings_with_file_and_line(
    knowledge_dir: Path, name: str, text: str, exit_code: int, fragment: str
) -> None:
    (knowledge_dir / name).write_text(text, "utf-8")

    result = kb("check", str(knowledge_dir))

    assert result.exit_code == exit_code
    assert fragment in result.output


def test_kb_check_reports_a_duplicate_id_within_a_language(knowledge_dir: Path) -> None:
    text = "---\nid: vpn-connect\ntitle: Again\nquestions: [again]\n---\nx"
    (knowledge_dir / "zz.en.md").write_text(text, "utf-8")

    result = kb("check", str(knowledge_dir))

    assert result.exit_code == 1
    assert "zz.en.md:2: duplicate id 'vpn-connect' for language 'en'" in result.output


# kb ask --------------------------------------------------------------------------------


def test_kb_ask_says_what_the_bot_would_do(knowledge_dir: Path) -> None:
    result = kb("ask", str(knowledge_dir), "I forgot my password")

    assert result.exit_code == 0, result.output
    assert "matched: I forgot my password" in result.output
    assert result.output.splitlines()[-1].startswith("The bot would answer with password-reset")


@pytest.mark.parametrize("command", ["ask", "eval", "calibrate", "test"])
def test_kb_tools_use_the_deployment_model_and_say_when_it_is_missing(
    knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (knowledge_dir / "cases.csv").write_text("text,expected\nI forgot my password,password-reset\n")
    monkeypatch.setenv("HELPLINE_KNOWLEDGE_MODEL", "minilm")
    # As if the minilm extra were not installed: the import system reports torch absent.
    monkeypatch.setitem(sys.modules, "torch", None)
    cases = ["--knowledge", str(knowledge_dir), "--cases", str(knowledge_dir / "cases.csv")]
    args = {
        "ask": [str(knowledge_dir), "I forgot my password"],
        "eval": cases,
        "calibrate": cases,
        "test": [str(knowledge_dir)],
    }[command]

    result = kb(command, *args)

    assert result.exit_code == 1, result.output
    assert "pip install 'helpline[minilm]'" in result.output
    assert "Traceback" not in result.output


# kb test -------------------------------------------------------------------------------


def test_kb_test_passes_when_every_case_is_right(tmp_path: Path, knowledge_dir: Path) -> None:
    (knowledge_dir / "cases.csv").write_text(
        "text,expected\nI forgot my password,password-reset\ntell me a joke,handoff\n"
        "can I talk to a person,handoff\n",
        "utf-8",
    )
    # A deployment of its own (default thresholds): without one, the command would read
    # the sample deployment's helpline.toml, whose threshold is fitted to the sample.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"
    config = write_config(tmp_path, database_url, knowledge_dir)

    result = kb("test", str(knowledge_dir), "--config", str(config))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("3 cases: 3 passed, 0 failed")


def test_kb_test_fails_and_marks_a_wrong_outcome(knowledge_dir: Path) -> None:
    (knowledge_dir / "cases.csv").write_text(
        "text,expected\nI forgot my password,vpn-connect\n", "utf-8"
    )

    result = kb("test", str(knowledge_dir))

    assert result.exit_code == 1
    row = result.output.splitlines()[1].split()
    assert (row[-4], row[-2], row[-1]) == ("vpn-connect", "NO", "password-reset")


def test_kb_test_fails_on_a_case_naming_an_unknown_article(knowledge_dir: Path) -> None:
    (knowledge_dir / "cases.csv").write_text("text,expected\nhello,no-such-article\n", "utf-8")

    result = kb("test", str(knowledge_dir))

    assert result.exit_code == 1
    assert "cases.csv:2: expected article 'no-such-article' does not exist" in result.output


def test_kb_test_without_cases_fails(knowledge_dir: Path) -> None:
    result = kb("test", str(knowledge_dir))

    assert result.exit_code == 1
    assert "no regression cases" in result.output


# kb gaps -------------------------------------------------------------------------------


async def converse(database_url: str, knowledge_dir: Path, messages: list[str]) -> None:
    """Each message from a new customer, through the real runtime and store."""
    settings = load_settings(
        environ={}, search_config=False, database_url=database_url, knowledge_dir=knowledge_dir
    )
    store = await SqlStore.open(database_url, migrate=True)
    try:
        runtime, _ = build_runtime(
            settings, store, KnowledgeHolder(load_snapshot(settings)), ChangeFeed()
        )
        for n, text in enumerate(messages):
            await runtime.handle(
                IncomingMessage(channel="web", sender_id=f"c{n}", external_id=f"m{n}", text=text)
            )
    finally:
        await store.close()


def test_kb_gaps_groups_unanswered_questions_most_frequent_first(
    tmp_path: Path, knowledge_dir: Path, database_url: str
) -> None:
    messages = [
        "can you order pizza for the team",
        "what's the weather tomorrow",
        "How do I connect to the VPN?",
        "can you order a pizza for the team?",
        "I want to talk to a person",
        "Can you order pizza for the team",
    ]
    asyncio.run(converse(database_url, knowledge_dir, messages))
    config = write_config(tmp_path, database_url, knowledge_dir)

    result = kb("gaps", "--config", str(config))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("4 unanswered questions in 2 groups")
    assert lines[2].split()[0] == "3"
    assert lines[2].endswith("can you order pizza for the team")
    assert lines[3].split()[0] == "1"


def test_kb_gaps_on_an_empty_database_says_so(
    tmp_path: Path, knowledge_dir: Path, database_url: str
) -> None:
    asyncio.run(converse(database_url, knowledge_dir, []))
    config = write_config(tmp_path, database_url, knowledge_dir)

    result = kb("gaps", "--config", str(config), "--days", "7")

    assert (result.exit_code, result.output) == (0, "no unanswered questions in 7 days\n")
