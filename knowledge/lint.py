"""Content warnings about loaded articles: things to fix that do not stop loading.

- answer markup that chat channels would reject or show badly (:mod:`knowledge.markup`);
- a ``review_by`` date that has passed;
- an article missing a translation that most other articles have.

The date is passed in, never read from the clock, so that checks are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from knowledge.article import FALLBACK_LANGUAGE, Article
from knowledge.errors import KnowledgeWarning
from knowledge.front_matter import ParsedArticle
from knowledge.markup import markup_problems


def content_warnings(
    parsed: Sequence[ParsedArticle], *, today: date | None
) -> Iterator[KnowledgeWarning]:
    """Warnings about the content of successfully parsed articles.

    Args:
        parsed: The articles (one per translation), each with its field lines.
        today: The date to compare ``review_by`` with; ``None`` skips that check.

    Yields:
        Warnings located at the offending line.
    """
    for result in parsed:
        article = _article(result)
        for problem in markup_problems(article.answer):
            yield KnowledgeWarning(article.path, article.line + problem.line, problem.message)
        if today is not None and article.review_by is not None and article.review_by < today:
            yield KnowledgeWarning(
                article.path,
                result.field_lines.get("review_by", 1),
                f"review_by {article.review_by.isoformat()} has passed: re-read the answer "
                "and set a new date",
            )
    yield from _missing_translations(parsed)


def _missing_translations(parsed: Sequence[ParsedArticle]) -> Iterator[KnowledgeWarning]:
    by_id: dict[str, dict[str, ParsedArticle]] = {}
    for result in parsed:
        article = _article(result)
        by_id.setdefault(article.id, {})[article.lang] = result
    counts: dict[str, int] = {}
    for translations in by_id.values():
        for lang in translations:
            counts[lang] = counts.get(lang, 0) + 1
    # A language counts as expected when at least half of the articles have it: a deployment
    # that writes everything in English and Danish wants to hear about the one article
    # without Danish, but one German article must not make every other article "incomplete".
    expected = sorted(lang for lang, count in counts.items() if 2 * count >= len(by_id))
    for article_id, translations in sorted(by_id.items()):
        missing = [lang for lang in expected if lang not in translations]
        if not missing:
            continue
        shown = translations.get(FALLBACK_LANGUAGE) or translations[min(translations)]
        where = _article(shown)
        for lang in missing:
            yield KnowledgeWarning(
                where.path,
                shown.field_lines.get("lang", 1),
                f"article {article_id!r} has no {lang!r} translation "
                f"({counts[lang]} of {len(by_id)} articles have one)",
            )


def _article(result: ParsedArticle) -> Article:
    assert result.article is not None, "only parsed articles are checked"
    return result.article
