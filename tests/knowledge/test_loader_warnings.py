"""Warnings about content: markup chat would reject, stale reviews, missing translations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.loader import load_knowledge
from knowledge.markup import markup_problems

TODAY = date(2026, 3, 2)


def article(title: str, *, lang: str = "en", extra: str = "", answer: str = "Plain answer.") -> str:
    return f"---\ntitle: {title}\nlang: {lang}\nquestions: [{title}]\n{extra}---\n{answer}\n"


def write_all(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("Open **Settings and sign in.", "'**' is not closed"),
        ("Press *Enter to go on.", "'*' is not closed"),
        ("Type `vpn.example.org and connect.", "'`' is not closed"),
        ("Choose _Forgot password.", "'_' is not closed"),
        ("See [the guide](https://example.org/guide for details.", "link is broken"),
        ("See [the guide for details.", "link is broken"),
        ("# Resetting your password", "headings"),
        ("| step | what |", "tables"),
        ("![screenshot](https://example.org/a.png)", "images"),
        ("Click <b>Connect</b>.", "HTML tag '<b>'"),
        ("```\nvpn connect", "code block"),
        ("x" * 4097, "4097 characters"),
        ("\U0001f600" * 2049, "4098 characters"),
    ],
)
def test_markup_chat_would_reject_or_render_badly_is_found(answer: str, fragment: str) -> None:
    (problem,) = markup_problems(answer)

    assert fragment in problem.message


@pytest.mark.parametrize(
    "answer",
    [
        "Open **Cisco Secure Client**, type `vpn.example.org` and sign in.",
        "1. Go to **https://password.example.org** and choose *Forgot*.",
        "* first step\n* second step\n- third step",
        "Open the file my_notes_2024.txt or https://example.org/some_page_here.",
        "See [the guide](https://example.org/guide) or <https://example.org>.",
        "Write 2 \\* 3 and a\\_b and \\[x\\].",
        "```\n# not a heading | and | no table |\n**raw\n```",
        "Use `**` for bold and `<b>` in HTML.",
        "x" * 4096,
    ],
)
def test_markup_chat_renders_well_is_not_reported(answer: str) -> None:
    assert markup_problems(answer) == []


def test_a_markup_warning_names_the_line_in_the_file(tmp_path: Path) -> None:
    answer = "First line is fine.\n\nThird line has **bold without end."
    write_all(tmp_path, {"a.md": article("A", answer=answer)})

    (warning,) = load_knowledge(tmp_path).warnings

    assert (warning.path.name, warning.line) == ("a.md", 8)
    assert "'**' is not closed" in warning.message


@pytest.mark.parametrize(
    ("review_by", "warns"),
    [("2026-03-01", True), ("2026-03-02", False), ("2026-12-31", False)],
)
def test_a_review_date_in_the_past_warns_at_its_line(
    tmp_path: Path, review_by: str, warns: bool
) -> None:
    write_all(tmp_path, {"a.md": article("A", extra=f"review_by: {review_by}\n")})

    warnings = load_knowledge(tmp_path, today=TODAY).warnings

    assert [(w.line, "has passed" in w.message) for w in warnings] == ([(5, True)] if warns else [])


def test_review_dates_are_not_checked_without_a_date(tmp_path: Path) -> None:
    write_all(tmp_path, {"a.md": article("A", extra="review_by: 2000-01-01\n")})

    assert load_knowledge(tmp_path).warnings == []


def test_an_article_without_a_translation_most_others_have_warns(tmp_path: Path) -> None:
    files = {}
    for name in ("a", "b", "c"):
        files[f"{name}.en.md"] = article(name.upper(), extra=f"id: {name}\n")
    for name in ("a", "b"):
        files[f"{name}.da.md"] = article(f"{name.upper()} da", lang="da", extra=f"id: {name}\n")
    write_all(tmp_path, files)

    (warning,) = load_knowledge(tmp_path).warnings

    assert (warning.path.name, warning.line) == ("c.en.md", 3)
    assert warning.message == "article 'c' has no 'da' translation (2 of 3 articles have one)"


def test_a_language_few_articles_use_is_not_expected_of_the_others(tmp_path: Path) -> None:
    files = {f"{name}.en.md": article(name.upper(), extra=f"id: {name}\n") for name in "abc"}
    files["a.de.md"] = article("A de", lang="de", extra="id: a\n")
    write_all(tmp_path, files)

    assert load_knowledge(tmp_path).warnings == []


def test_the_same_question_under_two_articles_warns_after_normalising(tmp_path: Path) -> None:
    write_all(
        tmp_path,
        {
            "a.md": "---\ntitle: A\nquestions:\n  - My VPN drops!\n---\nx\n",
            "b.md": "---\ntitle: B\nquestions:\n  - my vpn   drops\n---\ny\n",
        },
    )

    (warning,) = load_knowledge(tmp_path).warnings

    assert (warning.path.name, warning.line) == ("b.md", 4)
    assert "also asked in 'a'" in warning.message
