"""The sample knowledge shipped in examples/ loads cleanly, cases included."""

from __future__ import annotations

import re
from pathlib import Path

from handoff.markup import to_html
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


def test_no_sample_answer_folds_its_closing_lines_into_the_last_step() -> None:
    # Markdown reads a line right under a list item as more of that item, so "If this did
    # not help, ask for a person." would show as part of step 4 in every channel: the
    # sample's list items are one line each, and a line inside one means a missing blank
    # line before the text that follows the list.
    folded = [
        article.id
        for article in load_knowledge(SAMPLE).knowledge.articles
        if re.search(r"<li>(?:(?!</li>).)*<br>", to_html(article.answer))
    ]

    assert folded == []
