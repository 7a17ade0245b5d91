"""Parsing one article file: YAML front matter between ``---`` lines, then a Markdown answer.

The format, with every known field::

    ---
    id: vpn-connect            # optional; defaults to the path below the knowledge root
    title: Connecting to the VPN from home
    lang: en                   # optional; defaults to "en"
    questions:                 # required: phrasings customers use
      - How do I connect to the VPN?
    tags: [network]            # optional
    team: it-support           # optional: who takes handoffs on this topic
    handoff: false             # optional: always offer a person after answering
    review_by: 2026-01-31      # optional: a date
    related: [vpn-reset]       # optional: ids of related articles
    ---
    Open **Cisco Secure Client** ...

Parsing is a pure function of the file's text: it never raises for bad content, it returns
every problem with its line.

Front matter is hostile input as far as parsing goes (a shared folder, a pull request): YAML
aliases (``*name``) are refused, because an alias is expanded wherever the value is used and a
few hundred bytes of nested aliases expand to gigabytes ("billion laughs"); nesting is
limited to :data:`MAX_NESTING` levels; and a value quoted in a message is cut to
:data:`SHOWN_CHARS` characters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from knowledge.analysis import normalize
from knowledge.article import HANDOFF, Article
from knowledge.errors import KnowledgeFileError, KnowledgeWarning
from knowledge.yaml_hints import plain_words

#: Front-matter fields the loader understands; any other field gets a warning.
KNOWN_FIELDS = (
    "id",
    "title",
    "lang",
    "questions",
    "tags",
    "team",
    "handoff",
    "review_by",
    "related",
)
#: The language of an article whose front matter has no ``lang``.
DEFAULT_LANGUAGE = "en"

#: How deeply lists and mappings may nest in front matter (the format needs two levels).
MAX_NESTING = 20
#: How much of a value an error message quotes.
SHOWN_CHARS = 60

_DELIMITER = "---"
# BCP 47 in the shape staff write it: "en", "da", "pt-br", "zh-hant".
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """What one article file yielded.

    Attributes:
        article: The article, or ``None`` when the file has errors.
        errors: Problems that make the file unusable, in line order.
        warnings: Problems worth fixing that did not stop parsing.
        field_lines: The line of each front-matter field that is present.
        item_lines: For list fields, the line of each item.
    """

    article: Article | None
    errors: tuple[KnowledgeFileError, ...]
    warnings: tuple[KnowledgeWarning, ...]
    field_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)


class _Problems:
    """Collects the errors and warnings of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[KnowledgeFileError] = []
        self.warnings: list[KnowledgeWarning] = []

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(KnowledgeFileError(self.path, line, message))

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(KnowledgeWarning(self.path, line, message))


@dataclass(slots=True)
class _FrontMatter:
    fields: dict[str, object]
    field_lines: dict[str, int]
    item_lines: dict[str, tuple[int, ...]]


def parse_article(path: Path, text: str, *, default_id: str) -> ParsedArticle:
    """Parse the text of one article file.

    Args:
        path: The file, used in problem reports and stored in the article.
        text: The file's content.
        default_id: The id to use when the front matter has none.

    Returns:
        The article (``None`` if there are errors), with every problem found.
    """
    problems = _Problems(path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].rstrip() != _DELIMITER:
        problems.error(1, "missing front matter: the file must start with a '---' line")
        return _result(None, problems)
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _DELIMITER), None)
    if closing is None:
        problems.error(1, "the front matter is never closed: add a '---' line after it")
        return _result(None, problems)
    # The YAML text starts on file line 2; its marks count lines from 0.
    front = _parse_front_matter("\n".join(lines[1:closing]), 2, problems)
    if front is None:
        return _result(None, problems)
    body_index = next((i for i in range(closing + 1, len(lines)) if lines[i].strip()), None)
    answer = "\n".join(lines[closing + 1 :]).strip()
    if body_index is None:
        problems.error(closing + 1, "the answer is empty: write it below this '---' line")
    body_line = (closing if body_index is None else body_index) + 1
    article = _build_article(
        front, problems, path=path, default_id=default_id, answer=answer, body_line=body_line
    )
    return _result(
        None if problems.errors else article, problems, front.field_lines, front.item_lines
    )


def _result(
    article: Article | None,
    problems: _Problems,
    field_lines: dict[str, int] | None = None,
    item_lines: dict[str, tuple[int, ...]] | None = None,
) -> ParsedArticle:
    return ParsedArticle(
        article=article,
        errors=tuple(sorted(problems.errors, key=lambda e: e.line or 0)),
        warnings=tuple(sorted(problems.warnings, key=lambda w: w.line or 0)),
        field_lines=field_lines or {},
        item_lines=item_lines or {},
    )


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with a nesting limit.

    Both are refused while composing, before any value exists, so that neither an expansion
    nor Python's recursion limit can be reached later by whatever formats the value.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ComposerError(
                None, None, "aliases (*name) are not allowed: write the value out", mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(
                    None, None, f"values nest deeper than {MAX_NESTING} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _parse_front_matter(source: str, first_line: int, problems: _Problems) -> _FrontMatter | None:
    try:
        loader = _FrontMatterLoader(source)
    except yaml.reader.ReaderError as exc:
        # Raised for characters YAML forbids (NUL, other controls); position is an index.
        line = first_line + source.count("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problems.error(line, f"the front matter contains the forbidden character U+{code:04X}")
        return None
    node: yaml.Node | None = None
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
        # Keys are taken from the nodes, not from `data`, so that a field given twice (YAML
        # silently keeps the last one) can be reported with both lines.
        pairs = [
            (loader.construct_object(key), first_line + key.start_mark.line, value)
            for key, value in (node.value if isinstance(node, yaml.MappingNode) else [])
        ]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        reason = plain_words(exc.problem or exc.context or "it cannot be parsed")
        problems.error(line, f"invalid YAML in the front matter: {reason}")
        return None
    except yaml.YAMLError as exc:
        problems.error(first_line, f"invalid YAML in the front matter: {exc}")
        return None
    except RecursionError:
        # Only reachable with a recursion limit set far below the nesting limit; kept so
        # that a parse can never end in anything but a reported problem.
        problems.error(first_line, "the front matter nests too deeply")
        return None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML lets a well-formed but impossible value escape as a plain exception, e.g.
        # the date 2025-02-30; the failing node is found again to report its line.
        line = first_line + _failing_line(loader, node)
        problems.error(line, f"invalid value in the front matter: {exc}")
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        what = "empty" if data is None else f"{_describe(data)}, not fields (name: value)"
        problems.error(first_line - 1, f"the front matter is {what}")
        return None
    front = _FrontMatter(fields={}, field_lines={}, item_lines={})
    for name, line, value_node in pairs:
        if not isinstance(name, str):
            problems.error(line, f"{_describe(name)} is not a field name")
        elif name in front.field_lines:
            first = front.field_lines[name]
            problems.error(line, f"field {_shown(name)} is given twice (first on line {first})")
        else:
            front.field_lines[name] = line
            front.fields[name] = data[name]
            if isinstance(value_node, yaml.SequenceNode):
                front.item_lines[name] = tuple(
                    first_line + item.start_mark.line for item in value_node.value
                )
    return front


def _failing_line(loader: _FrontMatterLoader, node: yaml.Node | None) -> int:
    """The 0-based line of the first value under ``node`` that cannot be constructed."""
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        # A failed construction leaves bookkeeping behind that would fail the next attempt.
        loader.constructed_objects = {}
        loader.recursive_objects = {}
        try:
            loader.construct_object(child, deep=True)
        except (ValueError, TypeError, OverflowError):
            return _failing_line(loader, child)
    return 0 if node is None else node.start_mark.line


def _build_article(
    front: _FrontMatter,
    problems: _Problems,
    *,
    path: Path,
    default_id: str,
    answer: str,
    body_line: int,
) -> Article | None:
    fields = front.fields
    lines = front.field_lines

    def line_of(name: str) -> int:
        return lines.get(name, 1)

    for name in fields:
        if name not in KNOWN_FIELDS:
            hint = difflib.get_close_matches(name, KNOWN_FIELDS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.warn(line_of(name), f"unknown field {_shown(name)} is ignored{suggestion}")

    article_id = _text_field(fields, "id", line_of("id"), problems) or default_id
    if article_id == HANDOFF:
        problems.error(line_of("id"), f"the id {HANDOFF!r} is reserved for regression cases")
    title = _text_field(fields, "title", line_of("title"), problems, required=True)
    lang = _language(fields, line_of("lang"), problems)
    questions = _text_list(fields, "questions", front, problems, required=True)
    seen: set[str] = set()
    for question, line in zip(questions, front.item_lines.get("questions", ()), strict=False):
        key = normalize(question)
        if key in seen:
            problems.warn(line, f"question {_shown(question)} is listed twice")
        seen.add(key)
    tags = _text_list(fields, "tags", front, problems, required=False)
    related = _text_list(fields, "related", front, problems, required=False)
    team = _text_field(fields, "team", line_of("team"), problems)
    handoff = fields.get("handoff", False)
    if handoff is None:
        handoff = False
    if not isinstance(handoff, bool):
        problems.error(line_of("handoff"), f"handoff must be true or false, not {_shown(handoff)}")
    review_by = _review_date(fields.get("review_by"), line_of("review_by"), problems)
    if title is None or problems.errors:
        return None
    return Article(
        id=article_id,
        lang=lang,
        title=title,
        questions=tuple(questions),
        answer=answer,
        tags=tuple(tags),
        team=team,
        handoff=handoff is True,
        review_by=review_by,
        related=tuple(related),
        path=path,
        line=body_line,
    )


def _text_field(
    fields: dict[str, object],
    name: str,
    line: int,
    problems: _Problems,
    *,
    required: bool = False,
) -> str | None:
    value = fields.get(name)
    if value is None:
        if required:
            problems.error(line, f"missing {name}: add a '{name}:' field")
        return None
    if not isinstance(value, str):
        problems.error(line, f"{name} must be text, not {_describe(value)}; put it in quotes")
        return None
    if not value.strip():
        problems.error(line, f"{name} is empty")
        return None
    return value.strip()


def _language(fields: dict[str, object], line: int, problems: _Problems) -> str:
    value = fields.get("lang")
    if value is None:
        return DEFAULT_LANGUAGE
    # YAML 1.1 reads `lang: no` (Norwegian) as false; the message says how to fix it.
    code = value.strip().lower() if isinstance(value, str) else ""
    if not _LANGUAGE_CODE.fullmatch(code):
        problems.error(
            line,
            f"lang must be a language code such as 'en' or 'da' (in quotes), not {_shown(value)}",
        )
        return DEFAULT_LANGUAGE
    return code


def _text_list(
    fields: dict[str, object],
    name: str,
    front: _FrontMatter,
    problems: _Problems,
    *,
    required: bool,
) -> list[str]:
    line = front.field_lines.get(name, 1)
    value = fields.get(name)
    if value is None and not required:
        return []
    if value is None or not isinstance(value, list):
        if name not in fields:
            problems.error(line, f"missing {name}: add a '{name}:' list")
        else:
            problems.error(line, f"{name} must be a list ('- item' lines), not {_describe(value)}")
        return []
    if required and not value:
        problems.error(line, f"{name} is empty: list at least one")
    item_lines = front.item_lines.get(name, ())
    texts: list[str] = []
    for index, item in enumerate(value):
        item_line = item_lines[index] if index < len(item_lines) else line
        if not isinstance(item, str):
            problems.error(
                item_line,
                f"each item of {name} must be text, not {_describe(item)}; put it in quotes",
            )
        elif not item.strip():
            problems.error(item_line, f"an item of {name} is empty")
        else:
            texts.append(item.strip())
    return texts


def _review_date(value: object, line: int, problems: _Problems) -> date | None:
    if value is None:
        return None
    # A datetime is also a date; a review deadline with a time of day is a typo to report.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.error(line, f"review_by must be a date like 2026-01-31, not {_shown(value)}")
    return None


def _describe(value: object) -> str:
    if isinstance(value, dict):
        # The usual cause is an unquoted ": " inside a question; the wording hints at it.
        return "a 'key: value' mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "empty"
    if isinstance(value, str):
        return _shown(value)
    return f"{type(value).__name__} {_shown(value)}"


def _shown(value: object) -> str:
    """``repr(value)``, cut to :data:`SHOWN_CHARS` characters so a message stays a line.

    Containers are described, not printed: their ``repr`` would be as long as the file.
    """
    if isinstance(value, dict | list | set | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value[: SHOWN_CHARS + 1] if isinstance(value, str) else value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
