"""Articles built in code for tests that need no files: only what a test cares about is given."""

from __future__ import annotations

from pathlib import Path

from knowledge.article import Article


def make_article(
    article_id: str,
    *,
    lang: str = "en",
    title: str | None = None,
    questions: tuple[str, ...] = (),
    answer: str = "x",
    path: Path | None = None,
    line: int = 1,
) -> Article:
    """An article with no tags, team, review date or related articles.

    The title defaults to the id and the path to ``<id>.md``.
    """
    return Article(
        id=article_id,
        lang=lang,
        title=article_id if title is None else title,
        questions=questions,
        answer=answer,
        tags=(),
        team=None,
        handoff=False,
        review_by=None,
        related=(),
        path=Path(f"{article_id}.md") if path is None else path,
        line=line,
    )
