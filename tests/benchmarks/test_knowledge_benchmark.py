"""The knowledge benchmark script runs end to end on a tiny data set."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

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


def test_the_benchmark_prints_protocol_and_scale_tables(tmp_path: Path) -> None:
    _write(tmp_path / "train.csv", [(t, i) for i, texts in INTENTS.items() for t in texts[:3]])
    _write(tmp_path / "dev.csv", [(texts[3], i) for i, texts in INTENTS.items()])

    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(tmp_path), "--scale", "100",
         "--methods", "helpline,char-tfidf", "--protocols", "B77-10shot,B77-full,B77-unseen"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| B77-")]
    assert len(rows) == 6
    assert any(line.startswith("| 100 | helpline |") for line in done.stdout.splitlines())
