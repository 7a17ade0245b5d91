"""How the confidence model and the default threshold are chosen, on development data only.

Usage (from the repository root)::

    python benchmarks/knowledge/thresholds.py [--model wordllama|minilm] [--fit]

It searches the three development protocols (the sample knowledge's realistic cases,
``sample``; CLINC150 dev, ``CLINC-dev``; Banking77 with unseen intents, ``B77-unseen``) with
the product's index and prints, for answer thresholds from 0.50 to 0.95, each protocol's
answer precision, in-knowledge answered right and out-of-knowledge declined, with the
bot's own decision rule. The held-out sample cases (``sample-holdout``) are printed beside
them but never used to choose.

With ``--fit`` it also refits the confidence model (``knowledge/index.py``, ``_confidence``)
on the best candidate's evidence of every development case: logistic regression of "the
best candidate is the right answer", each protocol weighing the same, and prints the
coefficients to put into the index.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.knowledge import bases
from benchmarks.knowledge.banking77 import DEFAULT_DATA, build, read_rows
from bot.dialogue.answer_policy import Outcome, Thresholds, decide
from bot.settings.model import Settings
from knowledge.article import HANDOFF
from knowledge.embedding import load_embedding
from knowledge.evaluation import Trial, run_cases, score
from knowledge.index import Candidate, SearchIndex

MARGIN = Settings().clarify_margin
DEVELOPMENT = ("sample", "CLINC-dev", "B77-unseen")
HELD_OUT = ("sample-holdout",)
#: The evidence the model weighs, in the order of its coefficients (see _confidence).
FEATURES = (
    "ranking",
    "fit",
    "best_variant",
    "probability",
    "unknown",
    "coverage",
    "background",
    "density x ranking",
    "density x fit",
    "density",
)


def answered(candidates: Sequence[Candidate], threshold: float) -> str | None:
    decision = decide(candidates, Thresholds(threshold, MARGIN))
    return decision.candidates[0].article.id if decision.outcome is Outcome.ANSWER else None


def features(candidate: Candidate) -> list[float]:
    """The evidence of a candidate, as the confidence model weighs it."""
    e = candidate.evidence
    if e is None:
        return [0.0] * len(FEATURES)
    fit = candidate.similarity
    return [
        e.ranking,
        fit,
        e.best_variant,
        e.probability,
        e.unknown,
        e.coverage,
        e.background,
        e.density * e.ranking,
        e.density * fit,
        e.density,
    ]


def fit_model(trials: dict[str, list[Trial]]) -> None:
    """Print the logistic regression of "the best candidate is right" on its evidence."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows, labels, weights = [], [], []
    for name in DEVELOPMENT:
        for trial in trials[name]:
            best = trial.candidates[0] if trial.candidates else None
            rows.append(features(best) if best is not None else [0.0] * len(FEATURES))
            labels.append(int(best is not None and best.article.id == trial.expected))
            weights.append(1.0 / len(trials[name]))
    weight = np.asarray(weights) * len(weights) / sum(weights)
    model = LogisticRegression(C=10.0, max_iter=5000)
    model.fit(np.asarray(rows), np.asarray(labels), sample_weight=weight)
    print(f"\nbias {model.intercept_[0]:.3f}")
    for name, value in zip(FEATURES, model.coef_[0], strict=True):
        print(f"{name}: {value:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("wordllama", "minilm"), default="wordllama")
    parser.add_argument("--fit", action="store_true", help="refit the confidence model")
    args = parser.parse_args()
    embedding = load_embedding(args.model)
    protocols = {name: bases.build(name) for name in (*DEVELOPMENT[:2], *HELD_OUT)}
    protocols["B77-unseen"] = build(
        "B77-unseen", read_rows(DEFAULT_DATA / "train.csv"), read_rows(DEFAULT_DATA / "dev.csv")
    )
    trials = {
        name: run_cases(SearchIndex.build(p.knowledge, embedding=embedding), p.cases)
        for name, p in protocols.items()
    }
    names = [*DEVELOPMENT, *HELD_OUT]
    print("| threshold | " + " | ".join(f"{n} precision / right / declined" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for step in range(50, 96, 5):
        threshold = step / 100
        cells = []
        for name in names:
            m = score(trials[name], answered, threshold)
            cells.append(
                f"{m.answer_precision:.1%} / {m.in_scope_accuracy:.1%} / {m.handoff_recall:.1%}"
            )
        print(f"| {threshold:.2f} | " + " | ".join(cells) + " |")
    if any(t.expected == HANDOFF for t in trials["sample"]) and args.fit:
        fit_model(trials)
    elif args.fit:
        print("no handoff cases to fit on", file=sys.stderr)
    # A reminder of what a score means: the share of the right answers among the best
    # candidates with about that score, on the development data.
    pooled = [t for name in DEVELOPMENT for t in trials[name] if t.candidates]
    print("\n| score | share right (development) |\n|---|---|")
    for low in (0.5, 0.6, 0.7, 0.8, 0.9):
        band = [t for t in pooled if low <= t.candidates[0].score < low + 0.1]
        right = sum(t.candidates[0].article.id == t.expected for t in band)
        share = right / len(band) if band else math.nan
        print(f"| {low:.1f}-{low + 0.1:.1f} | {share:.1%} ({len(band)}) |")


if __name__ == "__main__":
    main()
