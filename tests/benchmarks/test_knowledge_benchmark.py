"""The knowledge benchmark script runs end to end on a tiny data set.

Banking77 itself is not in the repository: the test writes eight intents in its layout
(``benchmarks/knowledge/eval_data.py``) and gives the script that folder with ``--data``,
as a user gives it the real data.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.knowledge.eval_data import ENVIRONMENT, MissingEvalData, located

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "knowledge" / "run.py"

# Eight intents with a few phrasings each, in Banking77's `text,category` format.
INTENTS = {
    "card_lost": ["I lost my card", "my card is gone", "where is my card", "card missing"],
    "pin_change": ["change my pin", "new pin please", "how to set a pin", "reset pin code"],
    "refund": ["where is my refund", "refund not here", "I want a refund", "refund status"],
    "top_up": ["top up my account", "add money", "top-up failed", "how to top up"],
    "exchange": ["exchange rate", "convert currency", "fx rate today", "currency exchange"],
    "fees": ["why was I charged a fee", "extra fee", "what fees are there", "fee on transfer"],
    "transfer": ["send money abroad", "transfer pending", "bank transfer", "wire money"],
    "verify": ["verify my identity", "identity check", "why verify", "verification failed"],
}


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "category"])
        writer.writerows(rows)


def _run(*args: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    outer = {k: v for k, v in os.environ.items() if k != ENVIRONMENT}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**outer, "PYTHONPATH": str(ROOT), **(environment or {})},
        check=False,
    )


def test_the_benchmark_prints_protocol_and_scale_tables(tmp_path: Path) -> None:
    banking77 = tmp_path / "banking77"
    banking77.mkdir()
    _write(banking77 / "train.csv", [(t, i) for i, texts in INTENTS.items() for t in texts[:3]])
    _write(banking77 / "dev.csv", [(texts[3], i) for i, texts in INTENTS.items()])

    done = _run("--data", str(tmp_path), "--scale", "100", "--methods", "helpline,char-tfidf",
                "--protocols", "B77-10shot,B77-full,B77-unseen")  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| B77-")]
    assert len(rows) == 6
    assert any(line.startswith("| 100 | helpline |") for line in done.stdout.splitlines())


def test_without_data_it_says_what_to_give_before_running(tmp_path: Path) -> None:
    done = _run("--protocols", "sample,CLINC-dev", "--scale", "")

    assert done.returncode == 1
    assert done.stdout == ""
    assert "CLINC150 (clinc150/train.csv and clinc150/dev.csv, columns text,category" in (
        done.stderr
    )
    assert f"--data DIR or {ENVIRONMENT}=DIR" in done.stderr


def test_the_environment_names_the_data_folder(tmp_path: Path) -> None:
    done = _run("--protocols", "", "--scale", "100", environment={ENVIRONMENT: str(tmp_path)})

    assert done.returncode == 1
    assert f"no {tmp_path / 'banking77' / 'train.csv'}: the data folder {tmp_path}" in done.stderr


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("", "starts with nothing, not the columns text,category"),
        ("sentence,label", "starts with sentence,label, not the columns text,category"),
    ],
    ids=["empty", "other-columns"],
)
def test_a_file_without_the_columns_is_refused(tmp_path: Path, header: str, said: str) -> None:
    (tmp_path / "clinc150").mkdir()
    for name in ("train.csv", "dev.csv"):
        (tmp_path / "clinc150" / name).write_text(header + "\n" if header else "", "utf-8")

    with pytest.raises(MissingEvalData, match=said):
        located("clinc150", tmp_path)


def test_the_option_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clinc150").mkdir()
    for name in ("train.csv", "dev.csv"):
        _write(tmp_path / "clinc150" / name, [("what's the weather", "weather")])
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path / "elsewhere"))

    assert located("clinc150", tmp_path) == tmp_path / "clinc150"
