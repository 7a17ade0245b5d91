"""Reading the knowledge folder: Markdown articles with YAML front matter, and case files.

Layout of a knowledge folder (the tree below it is free-form):

- every ``*.md`` file is one article translation (the format is described in
  :mod:`knowledge.front_matter`);
- every ``*.csv`` file is a list of regression cases (see :func:`load_cases`);
- files and folders whose names start with ``.`` are ignored (``.git``, editor swap files);
- only regular files are read (a FIFO, a device or a link to one is an error, not a hang),
  and only up to :data:`MAX_ARTICLE_BYTES` (:data:`MAX_CASES_BYTES` for case files).

Every problem is reported with its file and line, and loading goes on after the first one so
that a check can list them all.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from knowledge.analysis import normalize
from knowledge.article import HANDOFF, Article, KnowledgeBase
from knowledge.errors import KnowledgeFileError, KnowledgeLoadError, KnowledgeWarning
from knowledge.front_matter import ParsedArticle, parse_article
from knowledge.lint import content_warnings

__all__ = [
    "HANDOFF",
    "Case",
    "KnowledgeWarning",
    "LoadResult",
    "case_files",
    "load_cases",
    "load_knowledge",
]

_CASE_HEADER = ["text", "expected"]

#: The largest article file read; parsing costs about a hundred times the file's size.
MAX_ARTICLE_BYTES = 1024 * 1024
#: The largest case file read (a benchmark's cases can run to thousands of rows).
MAX_CASES_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A successfully loaded knowledge base and the warnings found while loading it.

    Attributes:
        knowledge: Every article translation.
        warnings: Problems that did not stop loading, in file order, then line order.
        errors: Broken files that were served at their last good version or left out
            (only when loading with ``last_good``; otherwise they raise).
    """

    knowledge: KnowledgeBase
    warnings: list[KnowledgeWarning]
    errors: list[KnowledgeFileError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Case:
    """One regression case: a customer message and what the bot should do with it.

    Attributes:
        text: The customer's message.
        expected: The id of the article that should answer it, or :data:`HANDOFF`.
        path: The CSV file the case was read from.
        line: The line in ``path`` where the case starts.
    """

    text: str
    expected: str
    path: Path
    line: int

    @property
    def expects_handoff(self) -> bool:
        """Whether the bot should hand this message to a person instead of answering."""
        return self.expected == HANDOFF


def load_knowledge(
    root: Path,
    *,
    today: date | None = None,
    last_good: Mapping[Path, Article] | None = None,
) -> LoadResult:
    """Load every article below a folder.

    Args:
        root: The knowledge folder. Article ids default to paths relative to it.
        today: The date ``review_by`` dates are compared with; ``None`` skips that check.
            The caller passes it so that loading never reads the clock.
        last_good: The articles serving now, by file (a reload). Given, a broken file
            breaks only itself: it keeps its last good version (or is left out if it never
            had one), every other file loads, and the problems come back in ``errors``.

    Returns:
        The knowledge base and the warnings (unknown fields, unknown related ids, questions
        repeated in two articles, answer markup chat channels would reject or show badly,
        ``review_by`` dates that passed, missing translations, an empty folder).

    Raises:
        KnowledgeLoadError: One or more files are malformed, or two translations share an id
            and language, or ``root`` is not a folder. The error lists every problem found.
    """
    if not root.is_dir():
        raise KnowledgeLoadError([KnowledgeFileError(root, None, "no such knowledge folder")])
    errors: list[KnowledgeFileError] = []
    warnings: list[KnowledgeWarning] = []
    parsed: list[ParsedArticle] = []
    order: dict[Path, int] = {}
    for path in _files(root, ".md"):
        order[path] = len(order)
        text, read_error = _read_text(path, limit=MAX_ARTICLE_BYTES)
        if read_error is not None:
            errors.append(read_error)
            continue
        default_id = path.relative_to(root).with_suffix("").as_posix()
        result = parse_article(path, text, default_id=default_id)
        errors.extend(result.errors)
        warnings.extend(result.warnings)
        if result.article is not None:
            parsed.append(result)
    if not parsed and not errors:
        warnings.append(KnowledgeWarning(root, None, "no articles (*.md files) found"))
    unique, duplicate_errors = _drop_duplicates(parsed)
    errors.extend(duplicate_errors)
    warnings.extend(_cross_reference_warnings(unique))
    warnings.extend(content_warnings(unique, today=today))
    warnings.sort(key=_location_key)
    errors.sort(key=_location_key)
    if errors and last_good is None:
        raise KnowledgeLoadError(errors, warnings=warnings)
    articles = [_article(result) for result in unique]
    articles += _kept(articles, {error.path for error in errors}, last_good or {})
    articles.sort(key=lambda article: order.get(article.path, len(order)))
    return LoadResult(knowledge=KnowledgeBase(tuple(articles)), warnings=warnings, errors=errors)


def _kept(
    loaded: list[Article], broken: set[Path], last_good: Mapping[Path, Article]
) -> list[Article]:
    """The last good versions of broken files, unless a loaded file now has their place."""
    taken = {(a.id, a.lang) for a in loaded} | {a.path for a in loaded}
    kept = []
    for path in sorted(broken):
        old = last_good.get(path)
        if old is not None and (old.id, old.lang) not in taken and path not in taken:
            kept.append(old)
            taken.add((old.id, old.lang))
    return kept


def case_files(root: Path) -> list[Path]:
    """The regression case files in a knowledge folder: every ``*.csv`` in its tree.

    Args:
        root: The knowledge folder.

    Returns:
        The files, sorted by their path below ``root``; empty if ``root`` is not a folder.
    """
    return list(_files(root, ".csv")) if root.is_dir() else []


def load_cases(path: Path, *, knowledge: KnowledgeBase | None = None) -> list[Case]:
    """Read regression cases from a CSV file.

    The first row is the header ``text,expected``. Each further row is a customer message
    and the id of the article that should answer it, or the word ``handoff`` when the bot
    should pass the message to a person. Text containing a comma goes in double quotes.
    Blank rows are skipped. The file is UTF-8 (a byte-order mark, as spreadsheets write it,
    is fine).

    Args:
        path: The CSV file.
        knowledge: When given, every expected article id must exist in it.

    Returns:
        The cases in file order.

    Raises:
        KnowledgeLoadError: The file cannot be read, or has a bad header or bad rows; every
            problem is listed with its line.
    """
    text, read_error = _read_text(path, limit=MAX_CASES_BYTES)
    if read_error is not None:
        raise KnowledgeLoadError([read_error])
    known_ids = None if knowledge is None else set(knowledge.ids)
    errors: list[KnowledgeFileError] = []
    cases: list[Case] = []
    header_seen = False
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(KnowledgeFileError(path, line, f"malformed CSV: {exc}"))
            break
        cells = [cell.strip() for cell in row]
        row_line, line = line, reader.line_num + 1
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            if [cell.casefold() for cell in cells] != _CASE_HEADER:
                errors.append(
                    KnowledgeFileError(
                        path, row_line, f"the first row must be 'text,expected', not {row!r}"
                    )
                )
            continue
        message = _case_problem(cells, known_ids)
        if message is not None:
            errors.append(KnowledgeFileError(path, row_line, message))
        else:
            cases.append(Case(text=cells[0], expected=cells[1], path=path, line=row_line))
    if not header_seen and not errors:
        errors.append(
            KnowledgeFileError(path, 1, "empty file: expected the header 'text,expected'")
        )
    if errors:
        raise KnowledgeLoadError(errors)
    return cases


def _case_problem(cells: list[str], known_ids: set[str] | None) -> str | None:
    if len(cells) != len(_CASE_HEADER):
        return (
            f"expected 2 columns (text,expected), found {len(cells)}; "
            "put text that contains a comma in double quotes"
        )
    text, expected = cells
    if not text:
        return "the text column is empty"
    if not expected:
        return f"the expected column is empty: write an article id or {HANDOFF!r}"
    if known_ids is not None and expected != HANDOFF and expected not in known_ids:
        return f"expected article {expected!r} does not exist"
    return None


def _files(root: Path, suffix: str) -> Iterator[Path]:
    found: list[tuple[str, Path]] = []
    # os.walk does not follow symbolic links to folders, so a link loop cannot hang loading.
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if not name.startswith(".") and name.lower().endswith(suffix):
                path = Path(folder, name)
                found.append((path.relative_to(root).as_posix(), path))
    # Sorting by the relative POSIX path keeps the order (and so which of two duplicates
    # wins) the same on every platform and file system.
    for _, path in sorted(found):
        yield path


def _read_text(path: Path, *, limit: int) -> tuple[str, KnowledgeFileError | None]:
    try:
        data = _read_regular_file(path, limit)
    except OSError as exc:
        return "", KnowledgeFileError(path, None, f"cannot read the file: {exc.strerror}")
    if data is None:
        return "", KnowledgeFileError(path, None, "not a regular file (a pipe, device or socket)")
    if len(data) > limit:
        return "", KnowledgeFileError(path, None, f"the file is larger than {limit} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return "", KnowledgeFileError(path, line, "the file is not valid UTF-8 text")
    return text, None


def _read_regular_file(path: Path, limit: int) -> bytes | None:
    """Up to ``limit + 1`` bytes of ``path``, or ``None`` when it is not a regular file.

    Opening without blocking and checking the open file (not the name) means a FIFO cannot
    hang the read, and a name swapped for a device after a check is still caught.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return None
        return file.read(limit + 1)


def _article(result: ParsedArticle) -> Article:
    assert result.article is not None, "only parsed articles are kept"
    return result.article


def _drop_duplicates(
    parsed: list[ParsedArticle],
) -> tuple[list[ParsedArticle], list[KnowledgeFileError]]:
    # Files arrive sorted by path, so the first file keeps the id and the later one is
    # reported: the report is the same on every run.
    first: dict[tuple[str, str], ParsedArticle] = {}
    errors: list[KnowledgeFileError] = []
    for result in parsed:
        article = _article(result)
        key = (article.id, article.lang)
        if key in first:
            other = _article(first[key])
            errors.append(
                KnowledgeFileError(
                    article.path,
                    result.field_lines.get("id", 1),
                    f"duplicate id {article.id!r} for language {article.lang!r}: "
                    f"{other.path} uses it already",
                )
            )
        else:
            first[key] = result
    return list(first.values()), errors


def _cross_reference_warnings(parsed: list[ParsedArticle]) -> Iterator[KnowledgeWarning]:
    ids = {_article(result).id for result in parsed}
    owners: dict[tuple[str, str], Article] = {}
    for result in parsed:
        article = _article(result)
        related_lines = result.item_lines.get("related", ())
        for related, line in zip(article.related, related_lines, strict=False):
            if related == article.id:
                yield KnowledgeWarning(article.path, line, "the article lists itself as related")
            elif related not in ids:
                yield KnowledgeWarning(
                    article.path, line, f"related article {related!r} does not exist"
                )
        question_lines = result.item_lines.get("questions", ())
        for question, line in zip(article.questions, question_lines, strict=False):
            key = (article.lang, normalize(question))
            owner = owners.setdefault(key, article)
            if owner.id != article.id:
                yield KnowledgeWarning(
                    article.path,
                    line,
                    f"the question {question!r} is also asked in {owner.id!r} ({owner.path})",
                )


def _location_key(problem: KnowledgeFileError | KnowledgeWarning) -> tuple[str, int]:
    return (str(problem.path), problem.line or 0)
