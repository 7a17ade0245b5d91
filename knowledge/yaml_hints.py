"""What to do about a YAML parser's complaint, in words a staff editor acts on. Pure.

PyYAML says what confused it ("mapping values are not allowed here"), not what the editor
did wrong. The common slips in front matter are few: a colon inside a value, a tab, an
indent that does not line up, a question mark inside ``[ ]``. Each parser message that
points to one of them gets the fix appended; others are left as the parser wrote them.
"""

from __future__ import annotations

#: (part of PyYAML's message, what to do about it).
HINTS = (
    (
        "mapping values are not allowed here",
        "a value contains ': ' (a colon and a space); put the whole value in quotes, "
        'e.g. title: "VPN: connecting from home"',
    ),
    (
        "found character '\\t' that cannot start any token",
        "the line is indented with a tab; indent with spaces",
    ),
    (
        "could not find expected ':'",
        "a line is neither 'field: value' nor a '- ' list item; check the line above for "
        "a missing colon or an unclosed quote",
    ),
    (
        "expected <block end>, but found",
        "the indentation does not line up; list items under a field start with '- ' at "
        "the same indent",
    ),
    (
        "got '?'",
        "inside [ ], text with '?' needs quotes (or use one '- ' line per item)",
    ),
    (
        "found unexpected end of stream",
        "a quote is opened and never closed",
    ),
)


def plain_words(reason: str) -> str:
    """The parser's ``reason`` with what to fix appended, when the slip is a known one."""
    for fragment, fix in HINTS:
        if fragment in reason:
            return f"{reason}; {fix}"
    return reason
