"""Banking77 as knowledge bases: the protocols of ``../shared/eval/README.md``.

Each intent becomes one article whose questions are training utterances and whose answer is
the intent name.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.article import HANDOFF, Article, KnowledgeBase
from knowledge.loader import Case

#: Where the data lives relative to the repository: a ``shared/eval`` folder beside the
#: checkout (or beside its parent, for a worktree one level deeper).
DEFAULT_DATA = next(
    (
        p / "shared" / "eval" / "banking77"
        for p in Path(__file__).resolve().parents[2].parents
        if (p / "shared" / "eval").is_dir()
    ),
    Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "banking77",
)

PROTOCOLS = ("B77-10shot", "B77-full", "B77-unseen")


@dataclass(frozen=True, slots=True)
class Protocol:
    """One benchmark protocol: a knowledge base and the cases to run against it."""

    name: str
    knowledge: KnowledgeBase
    cases: tuple[Case, ...]


def read_rows(path: Path) -> list[tuple[str, str]]:
    """The ``text,category`` rows of a Banking77 CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


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
