"""The sample knowledge shipped in examples/ loads cleanly, cases included."""

from __future__ import annotations

from pathlib import Path

from knowledge.loader import case_files, load_cases, load_knowledge

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "it-helpdesk" / "knowledge"


def test_the_sample_knowledge_loads_without_errors() -> None:
    result = load_knowledge(SAMPLE)

    assert len(result.knowledge) > 0
    assert [str(warning) for warning in result.warnings] == []


def test_the_sample_cases_name_existing_articles() -> None:
    knowledge = load_knowledge(SAMPLE).knowledge

    for path in case_files(SAMPLE):
        assert load_cases(path, knowledge=knowledge)
