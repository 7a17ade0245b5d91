"""A broken front matter is reported with its file, its line and what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.errors import KnowledgeLoadError
from knowledge.loader import load_knowledge

SLIPS = [
    ("title: VPN: from home\n", 2, "put the whole value in quotes"),
    ("title: VPN\nquestions:\n\t- how\n", 4, "indent with spaces"),
    ("title: VPN\nquestions:\n  - how\n - why\n", 5, "at the same indent"),
    ('title: "VPN\n', 2, "a quote is opened and never closed"),
]


@pytest.mark.parametrize(("front", "line", "fix"), SLIPS)
def test_a_yaml_slip_says_where_and_what_to_fix(
    tmp_path: Path, front: str, line: int, fix: str
) -> None:
    path = tmp_path / "vpn.en.md"
    path.write_text(f"---\n{front}---\nAnswer.\n", "utf-8")
    with pytest.raises(KnowledgeLoadError) as raised:
        load_knowledge(tmp_path)
    (problem,) = raised.value.errors
    assert (problem.path, problem.line) == (path, line)
    assert problem.message.startswith("invalid YAML in the front matter: ")
    assert fix in problem.message


GOOD = "---\ntitle: {title}\nlang: en\nquestions:\n  - {question}\n---\n{answer}\n"


def test_with_the_last_good_version_a_broken_file_breaks_only_itself(tmp_path: Path) -> None:
    vpn, printer = tmp_path / "vpn.en.md", tmp_path / "printer.en.md"
    vpn.write_text(GOOD.format(title="VPN", question="vpn?", answer="Old VPN answer."), "utf-8")
    first = load_knowledge(tmp_path)
    vpn.write_text("---\ntitle: VPN: broken\n---\nNew VPN answer.\n", "utf-8")
    printer.write_text(GOOD.format(title="Printer", question="printer?", answer="Add it."), "utf-8")
    (tmp_path / "draft.en.md").write_text("not an article yet", "utf-8")

    result = load_knowledge(tmp_path, last_good={a.path: a for a in first.knowledge})

    assert sorted((a.id, a.answer) for a in result.knowledge) == [
        ("printer.en", "Add it."),
        ("vpn.en", "Old VPN answer."),
    ]
    assert [e.path.name for e in result.errors] == ["draft.en.md", "vpn.en.md"]
