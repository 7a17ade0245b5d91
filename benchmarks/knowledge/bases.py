"""The knowledge bases of the benchmark besides Banking77: the sample's and CLINC150's.

- ``sample`` and ``sample-holdout``: the sample IT helpdesk (``examples/it-helpdesk``) with
  its realistic development cases (``realistic.csv``, tuned on) and the held-out ones
  (``realistic-holdout.csv``, measured only);
- ``CLINC-dev``: one article per CLINC150 intent from ``train.csv``, queried with all of
  ``dev.csv``; its ``oos`` queries must be handed off. Measures answer precision, in-scope
  answered right and out-of-scope handoff recall (the data:
  ``benchmarks/knowledge/eval_data.py``).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.knowledge import eval_data
from benchmarks.knowledge.banking77 import Protocol, knowledge_base
from knowledge.article import HANDOFF
from knowledge.loader import Case, load_cases, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "it-helpdesk" / "knowledge"

SAMPLE_CASES = {"sample": "realistic.csv", "sample-holdout": "realistic-holdout.csv"}
PROTOCOLS = (*SAMPLE_CASES, "CLINC-dev")
#: CLINC150's category of the queries that belong to no intent.
OUT_OF_SCOPE = "oos"


def build(name: str, data: Path | None = None) -> Protocol:
    """One of :data:`PROTOCOLS`.

    Args:
        name: The protocol.
        data: The ``--data`` folder, if given (else ``HELPLINE_EVAL_DATA``); only
            ``CLINC-dev`` reads it.

    Raises:
        MissingEvalData: CLINC150 is not in the data folder.
        ValueError: Unknown protocol name.
    """
    if name in SAMPLE_CASES:
        knowledge = load_knowledge(SAMPLE).knowledge
        cases = load_cases(SAMPLE / SAMPLE_CASES[name], knowledge=knowledge)
        return Protocol(name, knowledge, tuple(cases))
    if name == "CLINC-dev":
        clinc = eval_data.located("clinc150", data)
        grouped: dict[str, list[str]] = {}
        for text, intent in eval_data.read_rows(clinc / "train.csv"):
            if intent != OUT_OF_SCOPE:
                grouped.setdefault(intent, []).append(text)
        source = Path("dev.csv")
        cases = tuple(
            Case(text, HANDOFF if intent == OUT_OF_SCOPE else intent, source, line)
            for line, (text, intent) in enumerate(eval_data.read_rows(clinc / "dev.csv"), 2)
        )
        return Protocol(name, knowledge_base(grouped), cases)
    raise ValueError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
