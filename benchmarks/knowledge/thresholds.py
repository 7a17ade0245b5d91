"""How the default answer threshold is chosen: B77-unseen and the sample cases side by side.

Usage (from the repository root)::

    python benchmarks/knowledge/thresholds.py [--model wordllama|minilm]

For each threshold from 0.30 to 0.70 it prints answer precision and answered right on
B77-unseen (``dev.csv``) and on ``examples/it-helpdesk/knowledge/cases.csv``, each one's
calibration objective (right outcomes minus wrong answers, per case) and their mean. It
then prints the thresholds (steps of 0.01) at which B77-unseen answers with at least 90%
precision and answers at least 75% of its in-knowledge questions right (the targets); the
default is the middle of that range (``docs/knowledge.md``). It also prints the most
B77-unseen answers right at >= 90% precision over the finer grid ``kb calibrate`` uses.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.knowledge.banking77 import DEFAULT_DATA, build, read_rows
from bot.dialogue import Outcome, Thresholds, decide
from bot.settings import Settings
from knowledge.article import HANDOFF
from knowledge.embedding import load_embedding
from knowledge.evaluation import THRESHOLD_GRID, Trial, run_cases, score
from knowledge.index import Candidate, SearchIndex
from knowledge.loader import load_cases, load_knowledge

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "it-helpdesk" / "knowledge"
MARGIN = Settings().clarify_margin


def answered(candidates: Sequence[Candidate], threshold: float) -> str | None:
    decision = decide(candidates, Thresholds(threshold, MARGIN))
    return decision.candidates[0].article.id if decision.outcome is Outcome.ANSWER else None


def objective(trials: Sequence[Trial], threshold: float) -> float:
    """Right outcomes minus wrong answers, per case (what ``kb calibrate`` maximises)."""
    total = 0
    for trial in trials:
        got = answered(trial.candidates, threshold)
        if got is None:
            total += trial.expected == HANDOFF
        else:
            total += 1 if got == trial.expected else -1
    return total / len(trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("wordllama", "minilm"), default="wordllama")
    args = parser.parse_args()
    embedding = load_embedding(args.model)
    unseen = build(
        "B77-unseen", read_rows(DEFAULT_DATA / "train.csv"), read_rows(DEFAULT_DATA / "dev.csv")
    )
    sample = load_knowledge(SAMPLE).knowledge
    unseen_trials = run_cases(
        SearchIndex.build(unseen.knowledge, embedding=embedding), unseen.cases
    )
    sample_trials = run_cases(
        SearchIndex.build(sample, embedding=embedding),
        load_cases(SAMPLE / "cases.csv", knowledge=sample),
    )
    print("| threshold | mean objective | B77-unseen precision / right | sample ditto |")
    print("|---|---|---|---|")
    for step in range(30, 71, 5):
        threshold = step / 100
        u = score(unseen_trials, answered, threshold)
        s = score(sample_trials, answered, threshold)
        mean = (objective(unseen_trials, threshold) + objective(sample_trials, threshold)) / 2
        print(
            f"| {threshold:.2f} | {mean:.3f} "
            f"| {u.answer_precision:.1%} / {u.in_scope_accuracy:.1%} "
            f"| {s.answer_precision:.1%} / {s.in_scope_accuracy:.1%} |"
        )
    meeting = [
        step / 100
        for step in range(30, 81)
        if (m := score(unseen_trials, answered, step / 100)).answer_precision >= 0.9
        and m.in_scope_accuracy >= 0.75
    ]
    if meeting:
        middle = (meeting[0] + meeting[-1]) / 2
        print(
            f"\nB77-unseen meets >= 90% precision with >= 75% answered right "
            f"from {meeting[0]:.2f} to {meeting[-1]:.2f} (middle {middle:.3f})"
        )
    else:
        print("\nB77-unseen meets >= 90% precision with >= 75% answered right nowhere")
    covers = [
        (m.in_scope_accuracy, threshold)
        for threshold in THRESHOLD_GRID
        if (m := score(unseen_trials, answered, threshold)).answer_precision >= 0.9
    ]
    cover, threshold = max(covers, default=(0.0, 1.0))
    print(f"\nB77-unseen: most answered right at >= 90% precision: {cover:.1%} at {threshold}")


if __name__ == "__main__":
    main()
