"""`helpline kb eval` and `helpline kb calibrate` on the sample knowledge and its cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "examples" / "it-helpdesk" / "knowledge"
CASES = KNOWLEDGE / "cases.csv"
KEYS = [
    "n",
    "accuracy",
    "in_scope_accuracy",
    "handoff_recall",
    "answer_precision",
    "p50_ms",
    "p99_ms",
    "build_s",
    "peak_rss_mb",
]


def _eval(*extra: str) -> dict[str, float]:
    arguments = ["kb", "eval", "--knowledge", str(KNOWLEDGE), "--cases", str(CASES), *extra]
    result = CliRunner().invoke(main, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    metrics: dict[str, float] = json.loads(result.output)
    return metrics


def test_eval_prints_the_documented_keys() -> None:
    assert list(_eval()) == KEYS


def test_eval_measures_the_sample_cases_plausibly() -> None:
    metrics = _eval()

    assert metrics["n"] == 85
    # At the sample deployment's own threshold (its helpline.toml, read from the working
    # directory, see docs/knowledge.md): few answers are wrong, most cases decided right.
    assert metrics["accuracy"] >= 0.65
    assert metrics["answer_precision"] >= 0.9
    assert 0 < metrics["p50_ms"] <= metrics["p99_ms"]
    assert metrics["build_s"] > 0
    assert metrics["peak_rss_mb"] > 0


def test_calibrating_on_the_cases_does_not_lower_their_accuracy() -> None:
    assert _eval("--calibrate", str(CASES))["accuracy"] >= _eval()["accuracy"]


def test_calibrate_prints_a_threshold_and_how_to_set_it() -> None:
    arguments = ["kb", "calibrate", "--knowledge", str(KNOWLEDGE), "--cases", str(CASES)]
    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 0, result.output
    threshold = re.search(r"answer_threshold = (\d\.\d+)", result.output)
    assert threshold is not None
    assert 0.0 < float(threshold.group(1)) < 1.0


def test_eval_names_a_bad_cases_file(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("text,expected\nhello,no-such-article\n", encoding="utf-8")

    arguments = ["kb", "eval", "--knowledge", str(KNOWLEDGE), "--cases", str(cases)]
    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 1
    assert "cases.csv:2" in result.output
