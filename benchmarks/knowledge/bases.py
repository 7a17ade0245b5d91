"""The knowledge bases of the benchmark besides Banking77: the sample's and CLINC150's.

- ``sample`` and ``sample-holdout``: the sample IT helpdesk (``examples/it-helpdesk``) with
  its realistic development cases (``realistic.csv``, tuned on) and the held-out ones
  (``realistic-holdout.csv``, measured only);
- ``CLINC-dev``: one article per CLINC150 intent from ``train.csv``, queried with all of
  ``dev.csv``; its ``oos`` queries must be handed off (``../shared/eval/README.md``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.knowledge.banking77 import Protocol, knowledge_base
from knowledge.article import HANDOFF
from knowledge.loader import Case, load_cases, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "it-helpdesk" / "knowledge"
# The data lives in a ``shared/eval`` folder beside the checkout (or beside its parent, for
# a worktree one level deeper).
CLINC = next(
    (p / "shared" / "eval" / "clinc150" for p in ROOT.parents if (p / "shared" / "eval").is_dir()),
    ROOT.parent / "shared" / "eval" / "clinc150",
)

SAMPLE_CASES = {"sample": "realistic.csv", "sample-holdout": "realistic-holdout.csv"}
PROTOCOLS = (*SAMPLE_CASES, "CLINC-dev")
#: CLINC150's category of the queries that belong to no intent.
OUT_OF_SCOPE = "oos"


def build(name: str, clinc: Path = CLINC) -> Protocol:
    """One of :data:`PROTOCOLS`."""
    if name in SAMPLE_CASES:
        knowledge = load_knowledge(SAMPLE).knowledge
        cases = load_cases(SAMPLE / SAMPLE_CASES[name], knowledge=knowledge)
        return Protocol(name, knowledge, tuple(cases))
    if name == "CLINC-dev":
        grouped: dict[str, list[str]] = {}
        for text, intent in _rows(clinc / "train.csv"):
            if intent != OUT_OF_SCOPE:
                grouped.setdefault(intent, []).append(text)
        source = Path("dev.csv")
        cases = tuple(
            Case(text, HANDOFF if intent == OUT_OF_SCOPE else intent, source, line)
            for line, (text, intent) in enumerate(_rows(clinc / "dev.csv"), 2)
        )
        return Protocol(name, knowledge_base(grouped), cases)
    raise ValueError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")


def _rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]
