"""The loader's limits: attacks on the knowledge folder are reported problems at a bounded cost.

Each test is an attack that once froze or exhausted the service: nested YAML aliases whose
expansion ran to gigabytes, nesting past Python's recursion limit, a FIFO that blocked the
reader, a link to an endless device, an article far larger than any answer.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from knowledge.errors import KnowledgeFileError, KnowledgeLoadError
from knowledge.front_matter import MAX_NESTING, SHOWN_CHARS
from knowledge.loader import MAX_ARTICLE_BYTES, load_knowledge


def laughs(levels: int) -> str:
    """Front matter whose last alias expands to 9**levels strings: about 600 bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    anchors = "\n".join(lines)
    return f"---\ntitle: Laughs\nquestions:\n  - hi\n{anchors}\nhandoff: *a{levels}\n---\nA.\n"


def only_error(root: Path) -> KnowledgeFileError:
    with pytest.raises(KnowledgeLoadError) as caught:
        load_knowledge(root)
    (error,) = caught.value.errors
    return error


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_yaml_aliases_are_refused_with_their_line_before_anything_expands(
    tmp_path: Path,
) -> None:
    (tmp_path / "laughs.md").write_text(laughs(9), encoding="utf-8")
    before = peak_rss_mb()

    error = only_error(tmp_path)

    # The first alias is on file line 6 (a1); handoff: *a9 would be 387 million strings.
    assert (error.path.name, error.line) == ("laughs.md", 6)
    assert "aliases (*name) are not allowed" in error.message
    assert len(str(error)) < 200
    assert peak_rss_mb() - before < 50


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    text = "---\nbase: &b {title: T}\n<<: *b\nquestions: [hi]\n---\nA.\n"
    (tmp_path / "merge.md").write_text(text, encoding="utf-8")

    error = only_error(tmp_path)

    assert error.line == 3
    assert "aliases" in error.message


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000])
def test_deep_nesting_is_a_problem_on_its_line_not_a_recursion_error(
    tmp_path: Path, depth: int
) -> None:
    text = "---\ntitle: T\nquestions: [hi]\ntags: " + "[" * depth + "]" * depth + "\n---\nA.\n"
    (tmp_path / "deep.md").write_text(text, encoding="utf-8")

    error = only_error(tmp_path)

    assert error.line == 4
    assert f"deeper than {MAX_NESTING} levels" in error.message


def test_a_long_value_is_quoted_cut_short(tmp_path: Path) -> None:
    text = "---\ntitle: T\nquestions: [hi]\nlang: " + "x" * 100_000 + "\n---\nA.\n"
    (tmp_path / "long.md").write_text(text, encoding="utf-8")

    error = only_error(tmp_path)

    assert error.line == 4
    assert len(error.message) < 100 + SHOWN_CHARS
    assert error.message.endswith("...")


def test_a_fifo_is_reported_instead_of_blocking_the_reader(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.md")

    error = only_error(tmp_path)

    assert error.path.name == "x.md"
    assert "not a regular file" in error.message


def test_a_link_to_an_endless_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.md").symlink_to("/dev/zero")

    error = only_error(tmp_path)

    assert error.path.name == "zero.md"
    assert "not a regular file" in error.message


def test_an_article_over_the_size_limit_is_refused_unparsed(tmp_path: Path) -> None:
    text = "---\ntitle: T\nquestions: [hi]\n---\n" + "word " * (MAX_ARTICLE_BYTES // 5 + 1)
    (tmp_path / "huge.md").write_text(text, encoding="utf-8")

    error = only_error(tmp_path)

    assert error.path.name == "huge.md"
    assert f"larger than {MAX_ARTICLE_BYTES} bytes" in error.message


def test_a_broken_file_does_not_hide_the_good_ones_problems(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.md")
    (tmp_path / "b.md").write_text(laughs(3), encoding="utf-8")

    with pytest.raises(KnowledgeLoadError) as caught:
        load_knowledge(tmp_path)

    assert [e.path.name for e in caught.value.errors] == ["a.md", "b.md"]
