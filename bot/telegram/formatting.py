"""Article Markdown as Telegram text with entities, and splitting at Telegram's length limit.

Telegram measures text and entity offsets in UTF-16 code units (an emoji counts twice).
Sending plain text plus entities, rather than MarkdownV2 or HTML, means no escaping rules
to get wrong; the caller still falls back to plain text if Telegram rejects the entities.
This module is pure: no ``telegram`` import, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAX_MESSAGE_UNITS = 4096

# Inline Markdown, tried left to right; the first alternative that matches wins.
_INLINE = re.compile(
    r"(?P<escape>\\(?P<escaped>[\\`*_\[\]()#+\-.!>]))"
    r"|(?P<code>`(?P<code_text>[^`\n]+)`)"
    r"|(?P<link>\[(?P<link_text>[^\]\n]+)\]\((?P<url>[^)\s]+)\))"
    r"|(?P<autolink><(?P<auto_url>https?://[^>\s]+)>)"
    r"|(?P<bold>\*\*(?P<bold_text>\S(?:.*?\S)?)\*\*|__(?P<bold_text2>\S(?:.*?\S)?)__)"
    r"|(?P<italic>\*(?P<italic_text>[^*\s](?:[^*]*?[^*\s])?)\*"
    r"|(?<!\w)_(?P<italic_text2>[^_\s](?:[^_]*?[^_\s])?)_(?!\w))"
)
_FENCE = re.compile(r"^\s*(```|~~~)\s*(?P<lang>[\w+-]*)\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(?P<indent>\s*)[-*+]\s+(?P<text>.*)$")
_SAFE_URL = re.compile(r"^(https?|tg|mailto):", re.IGNORECASE)


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


class _Builder:
    """Appends text and entities, keeping the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.entities: list[Entity] = []
        self.position = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.position += utf16_len(text)

    def span(self, kind: str, start: int, **extra: str | None) -> None:
        if self.position > start:
            self.entities.append(Entity(kind, start, self.position - start, **extra))

    def inline(self, text: str) -> None:
        pos = 0
        for match in _INLINE.finditer(text):
            self.add(text[pos : match.start()])
            pos = match.end()
            start = self.position
            if match["escape"]:
                self.add(match["escaped"])
            elif match["code"]:
                self.add(match["code_text"])
                self.span("code", start)
            elif match["link"] or match["autolink"]:
                url = match["url"] or match["auto_url"]
                self.inline(match["link_text"] or url)
                if _SAFE_URL.match(url):
                    self.span("text_link", start, url=url)
            elif match["bold"]:
                self.inline(match["bold_text"] or match["bold_text2"])
                self.span("bold", start)
            else:
                self.inline(match["italic_text"] or match["italic_text2"])
                self.span("italic", start)
        self.add(text[pos:])

    def newline(self) -> None:
        if self.parts:
            self.add("\n")

    def block(self, code: str, language: str | None) -> None:
        self.newline()
        start = self.position
        self.add(code)
        self.span("pre", start, language=language)

    def result(self) -> FormattedText:
        return FormattedText("".join(self.parts), tuple(self.entities))


def markdown_to_telegram(markdown: str) -> FormattedText:
    """Turn an article's Markdown into Telegram text with entities.

    Handles what articles use: ``**bold**``, ``*italic*``/``_italic_``, `` `code` ``,
    fenced code blocks, ``[links](https://...)``, headings (shown bold) and bullet lists
    (shown with "•"). Anything else stays as written.
    """
    builder = _Builder()
    fence: str | None = None
    language: str | None = None
    code: list[str] = []
    for line in markdown.split("\n"):
        if fence is not None:
            if line.strip() == fence:
                builder.block("\n".join(code), language)
                fence = None
            else:
                code.append(line)
            continue
        opening = _FENCE.match(line)
        if opening:
            fence, language, code = opening[1], opening["lang"] or None, []
            continue
        builder.newline()
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        if heading:
            start = builder.position
            builder.inline(heading["text"])
            builder.span("bold", start)
        elif bullet:
            builder.add(f"{bullet['indent']}• ")
            builder.inline(bullet["text"])
        else:
            builder.inline(line)
    if fence is not None:
        builder.block("\n".join(code), language)
    return _without_blank_edges(builder.result())


def _without_blank_edges(formatted: FormattedText) -> FormattedText:
    # Telegram trims blank lines around a message, but the entity offsets must match
    # what is sent, so trim here and shift the entities.
    text = formatted.text
    leading = len(text) - len(text.lstrip("\n"))
    trimmed = text.strip("\n")
    units = utf16_len(trimmed)
    entities = []
    for entity in formatted.entities:
        offset = max(0, entity.offset - leading)
        length = min(entity.offset + entity.length - leading, units) - offset
        if length > 0:
            entities.append(replace(entity, offset=offset, length=length))
    return FormattedText(trimmed, tuple(entities))


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
