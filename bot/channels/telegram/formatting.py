"""Article Markdown as Telegram text with entities, and splitting at Telegram's length limit.

Telegram measures text and entity offsets in UTF-16 code units (an emoji counts twice).
Sending plain text plus entities, rather than MarkdownV2 or HTML, means no escaping rules
to get wrong; the caller still falls back to plain text if Telegram rejects the entities.
This module is pure: no ``telegram`` import, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from handoff.markup import to_spans

MAX_MESSAGE_UNITS = 4096
#: Our span kinds as Telegram's entity types.
_ENTITY_KINDS = {
    "bold": "bold",
    "italic": "italic",
    "code": "code",
    "pre": "pre",
    "link": "text_link",
}


def utf16_len(text: str) -> int:
    """The length of ``text`` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Entity:
    """A Telegram message entity: a formatted span, in UTF-16 code units.

    Attributes:
        kind: Telegram's entity type ("bold", "italic", "code", "pre", "text_link").
        offset: where the span starts.
        length: how long it is.
        url: the target of a "text_link".
        language: the language of a "pre" block.
    """

    kind: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Text as Telegram shows it, with the formatted spans."""

    text: str
    entities: tuple[Entity, ...] = field(default=())


def markdown_to_telegram(markdown: str) -> FormattedText:
    """Turn a message's Markdown into Telegram text with entities.

    The one parser of :mod:`handoff.markup` decides what is formatted (bold, italic,
    code, code blocks, safe links, headings shown bold, lists shown with "•" or "1.");
    this converts its spans from string indices to Telegram's UTF-16 units.
    """
    rich = to_spans(markdown)
    entities = tuple(
        Entity(
            _ENTITY_KINDS[span.kind],
            utf16_len(rich.text[: span.start]),
            utf16_len(rich.text[span.start : span.end]),
            url=span.url,
            language=span.language,
        )
        for span in rich.spans
        # Telegram finds e-mail addresses itself and refuses mailto text links.
        if span.end > span.start and not (span.url or "").lower().startswith("mailto:")
    )
    return FormattedText(rich.text, entities)


def join_formatted(parts: list[FormattedText | str]) -> FormattedText:
    """Concatenate plain and formatted pieces, moving each piece's entities to its place."""
    texts: list[str] = []
    entities: list[Entity] = []
    position = 0
    for part in parts:
        piece = FormattedText(part) if isinstance(part, str) else part
        entities += [replace(e, offset=e.offset + position) for e in piece.entities]
        texts.append(piece.text)
        position += utf16_len(piece.text)
    return FormattedText("".join(texts), tuple(entities))


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` UTF-16 units.

    Pieces end after a line break or a space when one lies in the second half of the
    piece, else at the limit; a character is never cut in two (a surrogate pair is one
    Python character). Joining the pieces gives back ``text`` exactly.
    """
    if limit < 2:
        raise ValueError("limit must leave room for a character of two UTF-16 units")
    pieces = []
    start = 0
    while start < len(text):
        end = _fit(text, start, limit)
        if end < len(text):
            end = _soft_break(text, start, end)
        pieces.append(text[start:end])
        start = end
    return pieces


def _fit(text: str, start: int, limit: int) -> int:
    """The largest end index such that ``text[start:end]`` fits ``limit`` units."""
    units = 0
    end = start
    while end < len(text):
        width = 2 if ord(text[end]) > 0xFFFF else 1
        if units + width > limit:
            break
        units += width
        end += 1
    return end


def _soft_break(text: str, start: int, end: int) -> int:
    middle = start + (end - start) // 2
    for separator in ("\n", " "):
        found = text.rfind(separator, middle, end)
        if found != -1:
            return found + 1
    return end


def split_formatted(
    formatted: FormattedText, limit: int = MAX_MESSAGE_UNITS
) -> list[FormattedText]:
    """Split formatted text like :func:`split_text`, cutting the entities to each piece."""
    pieces = []
    offset = 0
    for piece in split_text(formatted.text, limit):
        units = utf16_len(piece)
        entities = []
        for entity in formatted.entities:
            start = max(entity.offset, offset)
            stop = min(entity.offset + entity.length, offset + units)
            if stop > start:
                entities.append(replace(entity, offset=start - offset, length=stop - start))
        pieces.append(FormattedText(piece, tuple(entities)))
        offset += units
    return pieces
