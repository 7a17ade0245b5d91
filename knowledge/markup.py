"""Answer markup that chat channels would reject or show badly.

Answers are written in Markdown, but a chat channel understands only a small part of it.
Telegram, the strictest of our channels, formats bold, italic, code, pre-formatted blocks
and links; it rejects a message whose markers do not pair up ("can't parse entities"),
shows headings, tables, images and HTML tags as raw characters, and refuses text longer
than 4096 UTF-16 code units. :func:`markup_problems` finds those spots so that a check can
warn the staff editor before a customer sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Telegram's limit on the text of one message, in UTF-16 code units (an emoji counts twice).
TELEGRAM_MAX_UTF16 = 4096

_ESCAPED = re.compile(r"\\[\\`*_\[\]()#|<>]")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`]*`")
# A bare address ends at a space or at markup around it ("**https://x.org**").
_URL = re.compile(r"(?:https?://|www\.)[^\s*<>()\[\]`]+|<[^<>\s]+[:@][^<>\s]*>")
_LINK = re.compile(r"!?\[[^\[\]]*\]\([^()\s]*\)")
_IMAGE = re.compile(r"!\[[^\[\]]*\]\(")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
# A "*" or "-" that starts a list item is not emphasis.
_BULLET = re.compile(r"^\s*[*+-]\s+")
# An underscore inside a word (snake_case, file_name.txt) is not emphasis in CommonMark.
_INNER_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")


@dataclass(frozen=True, slots=True)
class MarkupProblem:
    """One spot in an answer that a chat channel would reject or render badly.

    Attributes:
        line: 0-based line within the answer text.
        message: What is wrong and what to do, for the staff editor.
    """

    line: int
    message: str


def utf16_length(text: str) -> int:
    """The length of ``text`` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def markup_problems(answer: str) -> list[MarkupProblem]:
    """Find markup in an answer that Telegram would reject or render badly.

    Args:
        answer: The Markdown answer of an article.

    Returns:
        The problems, in line order: unpaired ``**``, ``*``, ``_`` or backticks, broken
        links, an unclosed code block, headings, tables, images, HTML tags, and a text too
        long for one message.
    """
    problems: list[MarkupProblem] = []
    lines = answer.split("\n")
    fence_start: int | None = None
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fence_start = None if fence_start is not None else number
            continue
        if fence_start is not None:
            continue  # inside a code block everything is shown as written
        problems.extend(MarkupProblem(number, message) for message in _line_problems(line))
    if fence_start is not None:
        problems.append(MarkupProblem(fence_start, "a code block (```) is never closed"))
    length = utf16_length(answer)
    if length > TELEGRAM_MAX_UTF16:
        problems.append(
            MarkupProblem(
                0,
                f"the answer is {length} characters long; Telegram sends at most "
                f"{TELEGRAM_MAX_UTF16} in one message: shorten it or split the article",
            )
        )
    return problems


def _line_problems(line: str) -> list[str]:
    messages: list[str] = []
    # A backslash makes the next character literal, so it pairs with nothing.
    line = _ESCAPED.sub(" ", line)
    if _HEADING.match(line):
        messages.append("headings (#) are shown as plain text with the '#' in chat: use **bold**")
    if _TABLE_ROW.match(line):
        messages.append("tables are shown as raw '|' characters in chat: use a list")
    if _IMAGE.search(line):
        messages.append("images are not shown in chat: link to the picture instead")
    if line.count("`") % 2:
        messages.append("a '`' is not closed on this line")
    text = _CODE_SPAN.sub(" ", line)
    tag = _HTML_TAG.search(_URL.sub(" ", text))
    if tag:
        messages.append(f"the HTML tag {tag.group(0)!r} is shown as raw text in chat")
    text = _LINK.sub(" ", text)
    if "](" in text or re.search(r"\[[^\]]*$", text) or re.search(r"^[^\[]*\]", text):
        messages.append("a link is broken: write it as [text](https://address)")
    text = _URL.sub(" ", text)
    if text.count("**") % 2:
        messages.append("a '**' is not closed on this line")
    singles = _BULLET.sub(" ", text).replace("**", "")
    if singles.count("*") % 2:
        messages.append("a '*' is not closed on this line (write \\* for a star)")
    if _INNER_UNDERSCORE.sub("", singles).count("_") % 2:
        messages.append("a '_' is not closed on this line (write \\_ for an underscore)")
    return messages
