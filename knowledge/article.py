"""The value types of curated knowledge: one article translation, and the whole base."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from knowledge.errors import KnowledgeError

#: The word regression cases use for "a person should take this"; no article may use it as id.
HANDOFF = "handoff"
#: The translation :meth:`KnowledgeBase.get` falls back to when the wanted one is missing.
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Article:
    """One translation of one article, as written by staff in one Markdown file.

    Translations of the same article share ``id`` and differ in ``lang``.

    Attributes:
        id: Stable identifier; defaults to the file path below the knowledge root without
            its extension (``network/vpn``).
        lang: Language code of this translation, lower case (``en``, ``da``).
        title: Human title; it also counts as one of the questions.
        questions: Phrasings customers use, in file order.
        answer: The Markdown body after the front matter, stripped.
        tags: Free-form labels.
        team: The team that takes handoffs on this topic, if any.
        handoff: Always offer a person after answering (sensitive topics).
        review_by: Date by which staff should re-read the article, if any.
        related: Ids of related articles.
        path: The file the article was read from.
        line: The line in ``path`` where the answer body starts.
    """

    id: str
    lang: str
    title: str
    questions: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    team: str | None
    handoff: bool
    review_by: date | None
    related: tuple[str, ...]
    path: Path
    line: int

    @property
    def variants(self) -> tuple[str, ...]:
        """The title followed by the questions: every phrasing the search index matches."""
        return (self.title, *self.questions)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """All loaded article translations, looked up by id and language.

    Attributes:
        articles: Every translation, in load order (sorted by path).

    Raises:
        KnowledgeError: Two articles share both ``id`` and ``lang``.
    """

    articles: tuple[Article, ...] = ()
    _by_id: dict[str, dict[str, Article]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        for article in self.articles:
            translations = self._by_id.setdefault(article.id, {})
            if article.lang in translations:
                raise KnowledgeError(
                    f"two articles with id {article.id!r} in language {article.lang!r}: "
                    f"{translations[article.lang].path} and {article.path}"
                )
            translations[article.lang] = article

    def __len__(self) -> int:
        """The number of article translations (an article in two languages counts twice)."""
        return len(self.articles)

    def __iter__(self) -> Iterator[Article]:
        return iter(self.articles)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every distinct article id, sorted."""
        return tuple(sorted(self._by_id))

    @property
    def languages(self) -> frozenset[str]:
        """Every language at least one article is written in."""
        return frozenset(article.lang for article in self.articles)

    def get(self, article_id: str, lang: str | None) -> Article | None:
        """The article in the wanted language, or else in another one.

        Args:
            article_id: The article's id.
            lang: The language the reader prefers, or ``None`` for no preference.

        Returns:
            The translation in ``lang`` if there is one; otherwise the English one; otherwise
            the translation whose language code sorts first; ``None`` for an unknown id.
        """
        translations = self._by_id.get(article_id)
        if not translations:
            return None
        for wanted in (lang, FALLBACK_LANGUAGE):
            if wanted is not None and wanted in translations:
                return translations[wanted]
        return translations[min(translations)]

    def translations(self, article_id: str) -> tuple[Article, ...]:
        """Every translation of an article, sorted by language code (empty if unknown)."""
        translations = self._by_id.get(article_id, {})
        return tuple(translations[lang] for lang in sorted(translations))
