"""The Markdown of transcript messages: one parser, shown as HTML or as text with spans.

Articles, agents and customers all write a little Markdown. It is parsed here, once, with
markdown-it-py restricted to a safe subset: bold, italic, inline code, code blocks, lists,
headings (shown bold), line breaks, and links whose target is ``http``, ``https`` or
``mailto``. Raw HTML is never passed through, images are not recognised, and bare URLs
(also inside bold) become links. Everything else stays as written.

Two outputs share the parse: :func:`to_html` for the web chat, the console and the HTML
export (every text escaped; the only attribute is a checked ``href``), and
:func:`to_spans` for channels that take plain text plus formatted spans (Telegram's
entities). Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: The link targets that become links; anything else stays text.
SAFE_SCHEMES = ("http:", "https:", "mailto:")
#: Deeper nesting than this is shown as text: real messages never nest so far, and a
#: hostile "> > > > ..." or "- - - - ..." must not cost a deep recursion.
MAX_NESTING = 20
_RULES = (
    "emphasis",
    "backticks",
    "escape",
    "newline",
    "link",
    "autolink",
    "linkify",
    "list",
    "fence",
    "code",
    "heading",
    "paragraph",
)


def safe_url(url: str) -> bool:
    """Whether ``url`` may be a link target: http, https or mailto, nothing else."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "zero" enables nothing; only the rules of the safe subset are switched on. With
    # ``html`` off, raw tags stay text; ``breaks`` keeps the line breaks people type.
    parser = MarkdownIt(
        "zero", {"html": False, "linkify": True, "breaks": True, "maxNesting": MAX_NESTING}
    )
    parser.enable(list(_RULES))
    parser.validateLink = safe_url  # type: ignore[method-assign]
    return parser


@lru_cache(maxsize=1)
def _plain_parser() -> MarkdownIt:
    return MarkdownIt("zero", {"html": False, "breaks": True}).enable(["newline", "paragraph"])


def _tokens(text: str) -> list[Token]:
    tokens = _parser().parse(text)
    if any(token.level >= MAX_NESTING - 1 for token in tokens):
        # markdown-it stops at its nesting limit and drops what lies deeper; a message
        # nested that deep is shown as written instead, every word of it.
        return _plain_parser().parse(text)
    return tokens


# HTML ---------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "paragraph_open": "<p>",
    "paragraph_close": "</p>",
    "bullet_list_open": "<ul>",
    "bullet_list_close": "</ul>",
    "ordered_list_close": "</ol>",
    "list_item_open": "<li>",
    "list_item_close": "</li>",
    "heading_open": "<p><strong>",
    "heading_close": "</strong></p>",
}
_INLINE_TAGS = {
    "strong_open": "<strong>",
    "strong_close": "</strong>",
    "em_open": "<em>",
    "em_close": "</em>",
    "link_close": "</a>",
    "softbreak": "<br>",
    "hardbreak": "<br>",
}


#: Text no rule of the subset changes: it starts with a letter, has no line break and none
#: of the characters that open markup, a list or a link (a full stop only at the end, so
#: no domain name). Most of what customers type; parsing it cost more than the rest of
#: formatting a chat message.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ ,?!'-])*(?<! )\.?")


def is_plain(text: str) -> bool:
    """Whether ``text`` is one paragraph of plain text to the parser, as typed: shown
    escaped, with no parse."""
    return _PLAIN.fullmatch(text) is not None


def _text(text: str) -> str:
    # Text between tags: <, > and & escaped; quotes only matter inside attributes.
    return html.escape(text, quote=False)


def to_html(text: str) -> str:
    """The message as an HTML fragment of the safe subset.

    Tags used: ``p strong em code pre ul ol li br a``. Links carry ``href`` (http, https or
    mailto only), ``rel="noopener noreferrer nofollow"`` and ``target="_blank"``; no other
    attribute is ever written, and every text is escaped.
    """
    if is_plain(text):
        return f"<p>{_text(text)}</p>"
    out: list[str] = []
    for token in _tokens(text):
        if token.type == "inline":
            _inline_html(token.children or (), out)
        elif token.type in ("fence", "code_block"):
            out.append(f"<pre><code>{_text(token.content.rstrip(chr(10)))}</code></pre>")
        elif token.hidden:
            continue  # the paragraphs of a tight list item: no <p> around them
        elif token.type == "ordered_list_open":
            start = token.attrGet("start")
            out.append(f'<ol start="{int(start)}">' if isinstance(start, int) else "<ol>")
        else:
            out.append(_BLOCK_TAGS.get(token.type, ""))
    return "".join(out)


def _inline_html(children: Sequence[Token], out: list[str]) -> None:
    for token in children:
        if token.type == "text":
            out.append(_text(token.content))
        elif token.type == "code_inline":
            out.append(f"<code>{_text(token.content)}</code>")
        elif token.type == "link_open":
            href = str(token.attrGet("href") or "")
            out.append(
                f'<a href="{html.escape(href)}" rel="noopener noreferrer nofollow" target="_blank">'
            )
        else:
            out.append(_INLINE_TAGS.get(token.type, _text(token.content)))


# Text with spans ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """A formatted part of :attr:`RichText.text`, in Python string indices.

    Attributes:
        kind: "bold", "italic", "code", "pre" or "link".
        start: the first character.
        end: one past the last character.
        url: the target of a link.
        language: the language named on a code block.
    """

    kind: str
    start: int
    end: int
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RichText:
    """Plain text with formatted spans (what Telegram's entities describe)."""

    text: str
    spans: tuple[Span, ...] = field(default=())


class _SpanWriter:
    """Writes plain text, remembering where each formatted span starts."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.spans: list[Span] = []
        self.open: list[tuple[str, int, str | None]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def begin(self, kind: str, url: str | None = None) -> None:
        self.open.append((kind, self.size, url))

    def end(self, kind: str) -> None:
        # Markdown closes what it opened, innermost first; a stray close is ignored.
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == kind:
                _, start, url = self.open.pop(index)
                if self.size > start:
                    self.spans.append(Span(kind, start, self.size, url=url))
                return

    def block_break(self, blank: bool) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.add("\n")
        if blank and self.parts and not "".join(self.parts[-2:]).endswith("\n\n"):
            self.add("\n")


_SPAN_KINDS = {"strong": "bold", "em": "italic", "link": "link"}


def to_spans(text: str) -> RichText:
    """The message as plain text with spans: headings bold, list items with "•" or "1."."""
    writer = _SpanWriter()
    numbers: list[int | None] = []  # per open list: the next number, None for bullets
    tight = False
    for token in _tokens(text):
        kind = token.type
        if kind in ("paragraph_open", "heading_open") and not token.hidden:
            if not tight:  # a list item's first paragraph follows its marker
                writer.block_break(blank=not numbers)
            if kind == "heading_open":
                writer.begin("bold")
        elif kind == "heading_close":
            writer.end("bold")
        elif kind == "bullet_list_open":
            writer.block_break(blank=not numbers)
            numbers.append(None)
        elif kind == "ordered_list_open":
            writer.block_break(blank=not numbers)
            start = token.attrGet("start")
            numbers.append(start if isinstance(start, int) else 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
        elif kind == "list_item_open":
            writer.block_break(blank=False)
            number = numbers[-1] if numbers else None
            marker = "•" if number is None else f"{number}."
            if number is not None:
                numbers[-1] = number + 1
            writer.add("  " * (len(numbers) - 1) + marker + " ")
            tight = True
        elif kind in ("fence", "code_block"):
            writer.block_break(blank=not tight)
            start = writer.size
            writer.add(token.content.rstrip("\n"))
            if writer.size > start:
                language = token.info.strip().split(" ")[0] or None
                writer.spans.append(Span("pre", start, writer.size, language=language))
        elif kind == "inline":
            _inline_spans(token.children or (), writer)
            tight = False
    plain = "".join(writer.parts)
    trimmed = plain.rstrip()
    spans = tuple(
        Span(s.kind, s.start, min(s.end, len(trimmed)), url=s.url, language=s.language)
        for s in sorted(writer.spans, key=lambda s: (s.start, -s.end))
        if s.start < len(trimmed)
    )
    return RichText(trimmed, spans)


def _inline_spans(children: Sequence[Token], writer: _SpanWriter) -> None:
    for token in children:
        kind = token.type
        if kind == "text":
            writer.add(token.content)
        elif kind == "code_inline":
            start = writer.size
            writer.add(token.content)
            if writer.size > start:
                writer.spans.append(Span("code", start, writer.size))
        elif kind in ("softbreak", "hardbreak"):
            writer.add("\n")
        elif kind.endswith("_open") and kind[:-5] in _SPAN_KINDS:
            url = str(token.attrGet("href") or "") if kind == "link_open" else None
            writer.begin(_SPAN_KINDS[kind[:-5]], url)
        elif kind.endswith("_close") and kind[:-6] in _SPAN_KINDS:
            writer.end(_SPAN_KINDS[kind[:-6]])
        else:
            writer.add(token.content)
