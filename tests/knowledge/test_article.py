"""The knowledge value types: looking up translations."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.article import Article, KnowledgeBase
from knowledge.errors import KnowledgeError, KnowledgeFileError, KnowledgeLoadError
from tests.knowledge.articles import make_article


def article(article_id: str, lang: str) -> Article:
    return make_article(
        article_id,
        lang=lang,
        title=f"{article_id} in {lang}",
        questions=("q1", "q2"),
        answer="a",
        path=Path(f"{article_id}.{lang}.md"),
        line=6,
    )


KNOWLEDGE = KnowledgeBase(
    (article("vpn", "en"), article("vpn", "da"), article("print", "da"), article("print", "sv"))
)


@pytest.mark.parametrize(
    ("article_id", "lang", "expected"),
    [
        ("vpn", "da", ("vpn", "da")),
        ("vpn", "en", ("vpn", "en")),
        ("vpn", "de", ("vpn", "en")),
        ("print", "sv", ("print", "sv")),
        ("print", "en", ("print", "da")),
        ("vpn", None, ("vpn", "en")),
        ("print", None, ("print", "da")),
        ("nope", "en", None),
    ],
)
def test_get_falls_back_to_english_then_to_any_translation(
    article_id: str, lang: str | None, expected: tuple[str, str] | None
) -> None:
    found = KNOWLEDGE.get(article_id, lang)

    assert (None if found is None else (found.id, found.lang)) == expected


def test_translations_ids_languages_and_length() -> None:
    assert [a.lang for a in KNOWLEDGE.translations("print")] == ["da", "sv"]
    assert KNOWLEDGE.translations("nope") == ()
    assert KNOWLEDGE.ids == ("print", "vpn")
    assert KNOWLEDGE.languages == {"da", "en", "sv"}
    assert len(KNOWLEDGE) == 4
    assert list(KNOWLEDGE) == list(KNOWLEDGE.articles)


def test_the_title_is_the_first_variant() -> None:
    assert article("vpn", "en").variants == ("vpn in en", "q1", "q2")


def test_two_articles_with_one_id_and_language_are_refused() -> None:
    with pytest.raises(KnowledgeError, match="two articles with id 'vpn' in language 'en'"):
        KnowledgeBase((article("vpn", "en"), article("vpn", "en")))


def test_errors_print_like_a_compiler() -> None:
    located = KnowledgeFileError(Path("kb/vpn.md"), 3, "title is empty")
    whole_file = KnowledgeFileError(Path("kb/x.md"), None, "cannot read the file")

    assert str(KnowledgeLoadError([located, whole_file])).splitlines() == [
        "2 problems in the knowledge files:",
        "kb/vpn.md:3: title is empty",
        "kb/x.md: cannot read the file",
    ]
