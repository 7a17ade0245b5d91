"""Banking77 as knowledge bases (the data: ``benchmarks/knowledge/eval_data.py``).

Each intent becomes one article whose questions are training utterances and whose answer is
the intent name. The protocols, all queried with every row of ``dev.csv``:

- ``B77-10shot``: 10 utterances per intent from ``train.csv``, chosen with
  ``random.Random(0)`` after sorting each intent's utterances; measures top-1;
- ``B77-full``: all of ``train.csv``; measures top-1;
- ``B77-unseen``: B77-full without every 4th intent in sorted order (intents 0, 4, 8, ...);
  the queries of the left-out intents must be handed off. Measures answer precision,
  in-knowledge answered right and handoff recall.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.knowledge import eval_data
from knowledge.article import HANDOFF, Article, KnowledgeBase
from knowledge.loader import Case

PROTOCOLS = ("B77-10shot", "B77-full", "B77-unseen")


@dataclass(frozen=True, slots=True)
class Protocol:
    """One benchmark protocol: a knowledge base and the cases to run against it."""

    name: str
    knowledge: KnowledgeBase
    cases: tuple[Case, ...]


Rows = list[tuple[str, str]]


def read_splits(data: Path | None) -> tuple[Rows, Rows]:
    """Banking77's ``train.csv`` and ``dev.csv`` rows.

    Args:
        data: The ``--data`` folder, if given (else ``HELPLINE_EVAL_DATA``).

    Raises:
        MissingEvalData: The data is not there (:func:`eval_data.located`).
    """
    folder = eval_data.located("banking77", data)
    return eval_data.read_rows(folder / "train.csv"), eval_data.read_rows(folder / "dev.csv")


def knowledge_base(utterances: dict[str, list[str]]) -> KnowledgeBase:
    """One English article per intent; the intent name is its title and its answer."""
    articles = []
    for intent in sorted(utterances):
        title = intent.replace("_", " ")
        articles.append(
            Article(
                id=intent,
                lang="en",
                title=title,
                questions=tuple(utterances[intent]),
                answer=title,
                tags=(),
                team=None,
                handoff=False,
                review_by=None,
                related=(),
                path=Path(f"{intent}.md"),
                line=1,
            )
        )
    return KnowledgeBase(tuple(articles))


def _by_intent(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for text, intent in rows:
        grouped.setdefault(intent, []).append(text)
    return grouped


def build(name: str, train: Sequence[tuple[str, str]], dev: Sequence[tuple[str, str]]) -> Protocol:
    """Build one protocol from the train and dev rows.

    Args:
        name: One of :data:`PROTOCOLS`.
        train: Rows to build the knowledge base from.
        dev: Rows to query with.

    Returns:
        The protocol.

    Raises:
        ValueError: Unknown protocol name.
    """
    grouped = _by_intent(train)
    source = Path("dev.csv")
    plain = tuple(Case(t, i, source, line) for line, (t, i) in enumerate(dev, 2))
    if name == "B77-full":
        return Protocol(name, knowledge_base(grouped), plain)
    if name == "B77-10shot":
        rng = random.Random(0)
        shots = {
            i: rng.sample(sorted(texts), min(10, len(texts)))
            for i, texts in sorted(grouped.items())
        }
        return Protocol(name, knowledge_base(shots), plain)
    if name == "B77-unseen":
        left_out = set(sorted(grouped)[::4])
        kept = {i: texts for i, texts in grouped.items() if i not in left_out}
        cases = tuple(
            Case(c.text, HANDOFF if c.expected in left_out else c.expected, source, c.line)
            for c in plain
        )
        return Protocol(name, knowledge_base(kept), cases)
    raise ValueError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
