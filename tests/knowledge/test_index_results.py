"""The sample knowledge's cases find the recorded candidates, in order, with their scores.

The record pins the search method end to end (embeddings, TF-IDF, classifier, the blend and
the lead over the rivals): a change that only makes the search faster must leave it as it
is. Regenerate it only when the method changes on purpose, from the repository root:
``python -m tests.knowledge.test_index_results``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from knowledge.index import SearchIndex
from knowledge.loader import case_files, load_cases, load_knowledge

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "it-helpdesk" / "knowledge"
RECORD = Path(__file__).with_name("sample_search_results.json")
# Messages beside the cases: off-topic, a stop-word question, a repeated word.
EXTRA = ("tell me a joke", "who are you?", "printer printer printer", "æøå")
# Different CPUs' BLAS kernels sum the float32 embeddings in another order, and the
# classifier's training carries the difference on: against the record, a run on an AMD EPYC
# machine differs by up to 1.0e-5, one on an Intel Xeon whose OpenBLAS picks its SkylakeX
# kernels by up to 1.3e-4 (the VPN questions, where the classifier weighs most). The
# candidates and their order are compared exactly, and the scores to about four times the
# largest difference seen between machines.
TOLERANCE = 5e-4

Result = dict[str, Any]


def sample_index() -> SearchIndex:
    return SearchIndex.build(load_knowledge(SAMPLE).knowledge, training="now")


def messages() -> list[str]:
    knowledge = load_knowledge(SAMPLE).knowledge
    cases = [case for path in case_files(SAMPLE) for case in load_cases(path, knowledge=knowledge)]
    return [case.text for case in cases] + list(EXTRA)


def result(index: SearchIndex, text: str) -> Result:
    candidates = [
        [c.article.id, c.article.lang, c.matched, c.score, c.similarity] for c in index.search(text)
    ]
    return {"text": text, "candidates": candidates}


# Read when the module is collected, for the parameters; a missing record fails the first test.
RECORDED: list[Result] = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.is_file() else []


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return sample_index()


def test_the_record_covers_every_sample_message() -> None:
    assert [recorded["text"] for recorded in RECORDED] == messages()


@pytest.mark.parametrize("recorded", RECORDED, ids=[r["text"][:40] for r in RECORDED])
def test_a_sample_message_finds_the_recorded_candidates(
    index: SearchIndex, recorded: Result
) -> None:
    found = result(index, recorded["text"])["candidates"]

    assert [row[:3] for row in found] == [row[:3] for row in recorded["candidates"]]
    assert [row[3:] for row in found] == [
        pytest.approx(row[3:], rel=0, abs=TOLERANCE) for row in recorded["candidates"]
    ]


if __name__ == "__main__":
    sample = sample_index()
    # One message a line, so that a change shows as the lines of the messages it moved.
    lines = (json.dumps(result(sample, text), ensure_ascii=False) for text in messages())
    RECORD.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
