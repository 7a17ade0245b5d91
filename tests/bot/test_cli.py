"""The `helpline` command line, run in-process with click's runner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main


def test_kb_check_passes_good_knowledge(knowledge_dir: Path) -> None:
    result = CliRunner().invoke(main, ["kb", "check", str(knowledge_dir)])
    assert result.exit_code == 0, result.output
    assert "5 articles" in result.output


def test_kb_check_fails_on_a_broken_file(knowledge_dir: Path) -> None:
    (knowledge_dir / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", "utf-8")
    result = CliRunner().invoke(main, ["kb", "check", str(knowledge_dir)])
    assert result.exit_code == 1
    assert "broken.md:" in result.output


def test_kb_ask_ranks_the_right_article_first(knowledge_dir: Path) -> None:
    result = CliRunner().invoke(main, ["kb", "ask", str(knowledge_dir), "forgot my password"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[2] == "password-reset"
