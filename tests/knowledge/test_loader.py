"""Loading knowledge folders: the article format, its errors and warnings, and case files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.article import Article
from knowledge.errors import KnowledgeFileError, KnowledgeLoadError, KnowledgeWarning
from knowledge.loader import HANDOFF, Case, case_files, load_cases, load_knowledge

VPN = """\
---
id: vpn-connect
title: Connecting to the VPN from home
lang: en
questions:
  - How do I connect to the VPN?
  - vpn doesn't work from home
tags: [network, remote-work]
team: it-support
handoff: true
review_by: 2026-01-31
related: [password-reset]
---

Open **Cisco Secure Client**, type `vpn.example.org` and sign in.

"""

MINIMAL = """\
---
title: Resetting a forgotten password
questions:
  - I forgot my password
---
Go to https://password.example.org.
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_errors(root: Path) -> list[KnowledgeFileError]:
    with pytest.raises(KnowledgeLoadError) as caught:
        load_knowledge(root)
    return caught.value.errors


def test_every_field_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "network/vpn.md", VPN)
    write(tmp_path, "password-reset.md", MINIMAL)

    knowledge = load_knowledge(tmp_path).knowledge

    assert knowledge.get("vpn-connect", "en") == Article(
        id="vpn-connect",
        lang="en",
        title="Connecting to the VPN from home",
        questions=("How do I connect to the VPN?", "vpn doesn't work from home"),
        answer="Open **Cisco Secure Client**, type `vpn.example.org` and sign in.",
        tags=("network", "remote-work"),
        team="it-support",
        handoff=True,
        review_by=date(2026, 1, 31),
        related=("password-reset",),
        path=path,
        line=15,
    )


def test_optional_fields_have_defaults_and_id_comes_from_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts/password reset.md", MINIMAL)

    (article,) = load_knowledge(tmp_path).knowledge.articles

    assert article == Article(
        id="accounts/password reset",
        lang="en",
        title="Resetting a forgotten password",
        questions=("I forgot my password",),
        answer="Go to https://password.example.org.",
        tags=(),
        team=None,
        handoff=False,
        review_by=None,
        related=(),
        path=path,
        line=6,
    )


def test_translations_share_an_id(tmp_path: Path) -> None:
    write(tmp_path, "vpn.md", VPN.replace("related: [password-reset]\n", ""))
    write(
        tmp_path,
        "vpn.da.md",
        "---\nid: vpn-connect\nlang: da\ntitle: VPN hjemmefra\n"
        "questions:\n  - Hvordan forbinder jeg til VPN?\n---\nÅbn Cisco Secure Client.\n",
    )

    knowledge = load_knowledge(tmp_path).knowledge

    assert [a.lang for a in knowledge.translations("vpn-connect")] == ["da", "en"]
    assert knowledge.languages == {"da", "en"}
    assert len(knowledge) == 2


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        ("da", ("da", "en"), "da"),
        ("fr", ("da", "en"), "en"),
        ("fr", ("sv", "da"), "da"),
    ],
)
def test_get_prefers_the_wanted_language_then_english(
    tmp_path: Path, wanted: str, available: tuple[str, ...], expected: str
) -> None:
    for lang in available:
        text = f"---\nid: a\nlang: {lang}\ntitle: T\nquestions: [q]\n---\nx"
        write(tmp_path, f"a.{lang}.md", text)

    article = load_knowledge(tmp_path).knowledge.get("a", wanted)

    assert article is not None
    assert article.lang == expected


def test_get_returns_none_for_an_unknown_id(tmp_path: Path) -> None:
    write(tmp_path, "a.md", MINIMAL)

    assert load_knowledge(tmp_path).knowledge.get("nope", "en") is None


# (file text, line of the error, fragment of its message)
MALFORMED = [
    pytest.param("Just an answer.\n", 1, "missing front matter", id="no-front-matter"),
    pytest.param("\n---\ntitle: T\n---\nx", 1, "missing front matter", id="blank-first-line"),
    pytest.param("---\ntitle: T\nquestions: [q]\n", 1, "never closed", id="unclosed"),
    pytest.param("---\ntitle: T\nquestions: [q\n---\nx", 3, "invalid YAML", id="bad-yaml"),
    pytest.param("---\ntitle: T\n\tquestions: [q]\n---\nx", 3, "invalid YAML", id="tab"),
    pytest.param(
        "---\ntitle: T\nquestions: [Why?]\n---\nx",
        3,
        "text with '?' needs quotes",
        id="question-mark-in-flow-list",
    ),
    pytest.param(
        "---\ntitle: T\nquestions:\n  - a\n  bad: : x\n---\nx",
        5,
        "invalid YAML",
        id="bad-yaml-later",
    ),
    pytest.param("---\ntitle: T\nx: \x00\n---\nx", 3, "U+0000", id="nul"),
    pytest.param("---\n---\nx", 1, "front matter is empty", id="empty-front-matter"),
    pytest.param("---\n- title\n---\nx", 1, "not fields", id="list-front-matter"),
    pytest.param("---\nquestions: [q]\n---\nx", 1, "missing title", id="no-title"),
    pytest.param("---\ntitle:\nquestions: [q]\n---\nx", 2, "missing title", id="null-title"),
    pytest.param("---\ntitle: ' '\nquestions: [q]\n---\nx", 2, "title is empty", id="blank-title"),
    pytest.param("---\ntitle: 42\nquestions: [q]\n---\nx", 2, "title must be text", id="int-title"),
    pytest.param("---\ntitle: T\n---\nx", 1, "missing questions", id="no-questions"),
    pytest.param("---\ntitle: T\nquestions: how?\n---\nx", 3, "must be a list", id="str-questions"),
    pytest.param("---\ntitle: T\nquestions: []\n---\nx", 3, "questions is empty", id="no-question"),
    pytest.param(
        "---\ntitle: T\nquestions:\n  - a\n  - 404\n---\nx", 5, "must be text", id="int-question"
    ),
    pytest.param(
        "---\ntitle: T\nquestions:\n  - Why: this\n---\nx",
        4,
        "'key: value' mapping",
        id="mapping-question",
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\n---\n\n  \n", 4, "answer is empty", id="empty-answer"
    ),
    pytest.param("---\ntitle: T\nquestions: [q]\n---", 4, "answer is empty", id="no-answer"),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nreview_by: soon\n---\nx",
        4,
        "review_by must be a date",
        id="text-date",
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nreview_by: 2025-02-30\n---\nx",
        4,
        "day is out of range",
        id="impossible-date",
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nhandoff: maybe\n---\nx",
        4,
        "handoff must be true or false",
        id="handoff-text",
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nlang: no\n---\nx", 4, "lang must be", id="lang-no"
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nlang: English\n---\nx", 4, "lang must be", id="lang-name"
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\ntags: network\n---\nx",
        4,
        "tags must be a list",
        id="tags-text",
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nrelated: [1]\n---\nx", 4, "must be text", id="related-int"
    ),
    pytest.param(
        "---\nid: handoff\ntitle: T\nquestions: [q]\n---\nx", 2, "reserved", id="reserved-id"
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\ntitle: U\n---\nx", 4, "given twice", id="field-twice"
    ),
    pytest.param(
        "---\ntitle: T\nquestions: [q]\nyes: 1\n---\nx", 4, "not a field name", id="bool-key"
    ),
]


@pytest.mark.parametrize(("text", "line", "fragment"), MALFORMED)
def test_a_malformed_file_is_reported_with_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "topic/article.md", text)

    (error,) = load_errors(tmp_path)

    assert (error.path, error.line) == (path, line)
    assert fragment in error.message
    assert str(error).startswith(f"{path}:{line}: ")


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(b"---\ntitle: Caf\xe9\nquestions: [q]\n---\nx")

    (error,) = load_errors(tmp_path)

    assert (error.path, error.line) == (path, 2)
    assert "UTF-8" in error.message


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: 1\nquestions: [2]\n---\n")
    write(tmp_path, "b.md", "no front matter")
    write(tmp_path, "c.md", MINIMAL)

    with pytest.raises(KnowledgeLoadError) as caught:
        load_knowledge(tmp_path)

    assert [(e.path.name, e.line) for e in caught.value.errors] == [
        ("a.md", 2),
        ("a.md", 3),
        ("a.md", 4),
        ("b.md", 1),
    ]
    assert str(caught.value).splitlines()[0] == "4 problems in the knowledge files:"


def test_a_duplicate_id_in_one_language_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: same\ntitle: A\nquestions: [a]\n---\nx")
    second = write(tmp_path, "b.md", "---\ntitle: B\nid: same\nquestions: [b]\n---\nx")

    (error,) = load_errors(tmp_path)

    assert (error.path, error.line) == (second, 3)
    assert "duplicate id 'same'" in error.message
    assert str(tmp_path / "a.md") in error.message


def test_a_duplicate_default_id_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\nquestions: [a]\n---\nx")
    write(tmp_path, "b.md", "---\nid: a\ntitle: B\nquestions: [b]\n---\nx")

    (error,) = load_errors(tmp_path)

    assert error.path.name == "b.md"


def test_an_unknown_field_warns_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "---\ntitle: A\nquestions: [a]\nteams: it\n---\nx")

    result = load_knowledge(tmp_path)

    assert result.warnings == [
        KnowledgeWarning(path, 4, "unknown field 'teams' is ignored; did you mean 'team'?")
    ]
    assert str(result.warnings[0]).startswith(f"{path}:4: warning: unknown field 'teams'")


@pytest.mark.parametrize(
    ("files", "fragment", "line"),
    [
        (
            {
                "a.md": "---\ntitle: A\nquestions: [a]\nrelated:\n  - b\n  - nope\n---\nx",
                "b.md": MINIMAL,
            },
            "related article 'nope' does not exist",
            6,
        ),
        ({"a.md": "---\ntitle: A\nquestions: [a]\nrelated: [a]\n---\nx"}, "itself", 4),
        ({"a.md": "---\ntitle: A\nquestions:\n  - Same?\n  - same ?\n---\nx"}, "listed twice", 5),
        (
            {
                "a.md": "---\ntitle: A\nquestions: [Same]\n---\nx",
                "b.md": "---\ntitle: B\nquestions:\n  - x\n  - same\n---\nx",
            },
            "also asked in 'a'",
            5,
        ),
    ],
)
def test_suspicious_content_warns(
    tmp_path: Path, files: dict[str, str], fragment: str, line: int
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)

    (warning,) = load_knowledge(tmp_path).warnings

    assert fragment in warning.message
    assert warning.line == line


def test_warnings_are_kept_when_loading_fails(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\nquestions: [a]\ncolour: red\n---\nx")
    write(tmp_path, "b.md", "broken")

    with pytest.raises(KnowledgeLoadError) as caught:
        load_knowledge(tmp_path)

    assert [w.path.name for w in caught.value.warnings] == ["a.md"]


def test_windows_line_endings_and_a_byte_order_mark_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: A\r\nquestions: [a]\r\nx: [\r\n---\r\nx\r\n")

    (error,) = load_errors(tmp_path)

    assert error.line == 4


def test_articles_load_in_path_order_and_hidden_and_other_files_are_skipped(
    tmp_path: Path,
) -> None:
    for name in ("b.md", "a/z.md", "a.md", "c.MD"):
        write(tmp_path, name, MINIMAL)
    for name in (".git/x.md", ".draft.md", "notes.txt", "b.md~"):
        write(tmp_path, name, "not an article")

    ids = [a.id for a in load_knowledge(tmp_path).knowledge.articles]

    assert ids == ["a", "a/z", "b", "c"]


def test_an_empty_folder_warns(tmp_path: Path) -> None:
    result = load_knowledge(tmp_path)

    assert len(result.knowledge) == 0
    assert result.warnings == [KnowledgeWarning(tmp_path, None, "no articles (*.md files) found")]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    (error,) = load_errors(tmp_path / "nope")

    assert str(error) == f"{tmp_path / 'nope'}: no such knowledge folder"


# --- regression cases -------------------------------------------------------------------


def test_cases_are_read_with_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cases.csv",
        'text,expected\nHow do I connect to the VPN?,vpn\n\n"Hello, I want a human",handoff\n'
        '"two\nlines",vpn\n',
    )

    assert load_cases(path) == [
        Case("How do I connect to the VPN?", "vpn", path, 2),
        Case("Hello, I want a human", HANDOFF, path, 4),
        Case("two\nlines", "vpn", path, 5),
    ]
    assert load_cases(path)[1].expects_handoff


def test_cases_accept_a_byte_order_mark_and_header_case(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(b"\xef\xbb\xbfText,Expected\r\nhi,handoff\r\n")

    assert load_cases(path) == [Case("hi", "handoff", path, 2)]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty file"),
        ("question,answer\nhi,handoff\n", 1, "the first row must be 'text,expected'"),
        ("text,expected\nhi, there,handoff\n", 2, "expected 2 columns"),
        ("text,expected\nhi\n", 2, "expected 2 columns"),
        ("text,expected\n,handoff\n", 2, "text column is empty"),
        ("text,expected\nhi,\n", 2, "expected column is empty"),
        ('text,expected\nok,handoff\n"unclosed,handoff\n', 3, "malformed CSV"),
    ],
)
def test_a_bad_case_file_is_reported_with_its_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "cases.csv", text)

    with pytest.raises(KnowledgeLoadError) as caught:
        load_cases(path)

    (error,) = caught.value.errors
    assert (error.path, error.line) == (path, line)
    assert fragment in error.message


def test_case_ids_are_checked_against_the_knowledge(tmp_path: Path) -> None:
    knowledge = load_knowledge(write(tmp_path, "kb/vpn.md", VPN).parent).knowledge
    path = write(tmp_path, "cases.csv", "text,expected\na,vpn-connect\nb,handoff\nc,vpn\n")

    with pytest.raises(KnowledgeLoadError) as caught:
        load_cases(path, knowledge=knowledge)

    assert [(e.line, e.message) for e in caught.value.errors] == [
        (4, "expected article 'vpn' does not exist")
    ]


def test_case_files_are_every_csv_in_the_tree_and_not_articles(tmp_path: Path) -> None:
    write(tmp_path, "z.csv", "text,expected\n")
    write(tmp_path, "network/cases.csv", "text,expected\n")
    write(tmp_path, ".hidden/x.csv", "text,expected\n")
    write(tmp_path, "a.md", MINIMAL)

    assert case_files(tmp_path) == [tmp_path / "network/cases.csv", tmp_path / "z.csv"]
    assert len(load_knowledge(tmp_path).knowledge) == 1
