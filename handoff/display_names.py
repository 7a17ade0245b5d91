"""The name customers see, kept apart from the login.

Customers read an agent's display name in every reply ("Maria: ..."), in "Maria has
joined" and in their exports: it is public. A login spelled like it ("maria") hands
anyone who chats with the desk the first half of a console login. So the display name is
its own field, set by whoever adds or changes the agent, and a login that contains the
display name, or one of its words, is refused; customers never see a login anywhere.
"""

from __future__ import annotations

import re
import unicodedata

#: The longest display name (the agent table's column is 200; a chat line needs less).
MAX_CHARS = 64
#: Words shorter than this are initials or particles ("Jo", "de"); finding one inside a
#: login proves nothing.
MIN_WORD_CHARS = 3
#: Letters that Unicode does not decompose into a base letter.
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_WORD = re.compile(r"[^\W_]+")


class DisplayNameRefused(ValueError):
    """A display name, or a login beside it, is not acceptable; the message says why."""


def _fold(text: str) -> str:
    """Lower case, accents dropped, æ/ø spelled out: how a guesser would type it."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def login_from_name(login: str, name: str) -> bool:
    """Whether ``login`` can be guessed from ``name``: it contains the whole name or a
    word of it, ignoring case, accents and punctuation (``maria``, ``Maria.H``,
    ``hansen-m`` beside "Maria Hansen")."""
    folded_login = "".join(_WORD.findall(_fold(login)))
    words = _WORD.findall(_fold(name))
    whole = "".join(words)
    if whole and whole == folded_login:
        return True
    candidates = [whole, *words]
    return any(len(word) >= MIN_WORD_CHARS and word in folded_login for word in candidates)


def check_display_name(name: str, *, login: str) -> str:
    """The display name as it will be kept (trimmed), if acceptable beside ``login``.

    Raises:
        DisplayNameRefused: empty, too long, with control or invisible formatting
            characters, or the login can be guessed from it.
    """
    name = name.strip()
    if not name:
        raise DisplayNameRefused("The name customers see cannot be empty.")
    if len(name) > MAX_CHARS:
        raise DisplayNameRefused(f"The name customers see can be up to {MAX_CHARS} characters.")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise DisplayNameRefused("The name customers see cannot hold control characters.")
    if login_from_name(login, name):
        raise DisplayNameRefused(
            "Customers see this name, so the login must not contain it: "
            "choose a login they cannot guess from it."
        )
    return name
