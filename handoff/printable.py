"""Text from customers, made safe to print on a terminal.

A message can hold terminal control sequences (ESC, CR, the C1 controls) and bidirectional
overrides: printed as they are, they recolour, overwrite or reorder what the operator sees.
Each becomes a visible ``\\uXXXX`` escape instead; that is also a valid escape inside a JSON
string, so JSON output keeps meaning the same text.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL and the C1 controls, and the bidirectional marks,
# embeddings, overrides and isolates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control or direction character written as ``\\uXXXX``."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
