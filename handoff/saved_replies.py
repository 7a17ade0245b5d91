"""Saved replies: what a shortcut may look like, and filling a reply's placeholders. Pure."""

from __future__ import annotations

import re

#: A shortcut as typed after ``/``: lower-case letters, digits, ``-`` and ``_``.
SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
#: The placeholders a saved reply may use, filled when an agent inserts it.
PLACEHOLDERS = ("customer_name", "agent_name")
_PLACEHOLDER = re.compile(r"\{(customer_name|agent_name)\}")


def valid_shortcut(shortcut: str) -> bool:
    """Whether ``shortcut`` (without the ``/``) may name a saved reply."""
    return SHORTCUT.fullmatch(shortcut) is not None


def fill(text: str, *, customer_name: str, agent_name: str) -> str:
    """The reply with ``{customer_name}`` and ``{agent_name}`` filled; other braces stay."""
    values = {"customer_name": customer_name, "agent_name": agent_name}
    return _PLACEHOLDER.sub(lambda match: values[match[1]], text)
