"""CPU time of one search on the sample knowledge, and a check that the results still hold.

Usage (from the repository root)::

    python benchmarks/knowledge/search_speed.py [--rounds 5]

Every message of the sample knowledge's cases (``examples/it-helpdesk/knowledge``, English
and Danish) is searched ``--rounds`` times with the article classifier trained: in every
language (a message whose language is unknown), and in the language detected from its
words (as the service searches when it knows the conversation's language). A search's
cost is the process's CPU time, which a busy machine disturbs less than wall-clock time.
The results are then compared with the record that ``tests/knowledge/test_index_results.py``
pins; the script fails if they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from knowledge.index import SearchIndex
from knowledge.language import detect_language
from knowledge.loader import case_files, load_cases, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "it-helpdesk" / "knowledge"
RECORD = ROOT / "tests" / "knowledge" / "sample_search_results.json"
# As in the test: other CPUs may round the float32 embeddings differently in the last bits.
TOLERANCE = 1e-6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="searches of every message")
    rounds = parser.parse_args().rounds

    knowledge = load_knowledge(SAMPLE).knowledge
    index = SearchIndex.build(knowledge, training="now")
    texts = [c.text for path in case_files(SAMPLE) for c in load_cases(path, knowledge=knowledge)]
    languages = [detect_language(text) for text in texts]
    for text in texts:  # warm the caches (stems) as a running service has them
        index.search(text)
    print(f"{len(texts)} messages x {rounds}, CPU us per search:")
    print("| searched in | median | p90 | p99 | mean |")
    print("|---|---:|---:|---:|---:|")
    for name, known in (("every language", False), ("the detected language", True)):
        costs = []
        for _ in range(rounds):
            for text, language in zip(texts, languages, strict=True):
                start = time.process_time_ns()
                index.search(text, language=language if known else None)
                costs.append((time.process_time_ns() - start) / 1000)
        quantiles = statistics.quantiles(costs, n=100)
        print(f"| {name} | {statistics.median(costs):.0f} | {quantiles[89]:.0f} |", end="")
        print(f" {quantiles[98]:.0f} | {statistics.fmean(costs):.0f} |")

    worst = 0.0
    for recorded in json.loads(RECORD.read_text(encoding="utf-8")):
        found = index.search(recorded["text"])
        expected = recorded["candidates"]
        names = [[c.article.id, c.article.lang, c.matched] for c in found]
        if names != [row[:3] for row in expected]:
            sys.exit(f"different candidates for {recorded['text']!r}")
        for candidate, row in zip(found, expected, strict=True):
            worst = max(worst, abs(candidate.score - row[3]), abs(candidate.similarity - row[4]))
    if worst > TOLERANCE:
        sys.exit(f"scores differ from the record by up to {worst:.3g}")
    print(f"results: as recorded (largest score difference {worst:.1e})")


if __name__ == "__main__":
    main()
