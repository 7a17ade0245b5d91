"""Every payload a customer's message can carry: commands and what the bot's buttons send.

A channel hands the runtime a pressed button's payload (or a typed slash command) with the
customer's message, and the store keeps it in the message's meta (``"payload"``). This is
the one table of them: the bot builds its buttons here, and the runtime, the handoff card
and the question finder read them back here. Pure.
"""

from __future__ import annotations

#: Ask for a person (a button under answers and fallbacks; ``/human`` on Telegram).
HUMAN = "/human"
#: Customer commands the runtime answers without consulting the knowledge.
START = "/start"
HELP = "/help"
END = "/end"
#: Not typed by customers: a channel sends it for a photo, sticker, voice note and the like.
UNSUPPORTED = "/unsupported"

COMMANDS = frozenset({START, HELP, END, UNSUPPORTED})
"""The commands answered without the knowledge (``/human`` is not one: words ask too)."""

TYPED_COMMANDS = {"/start": START, "/help": HELP, "/human": HUMAN, "/end": END}
"""Slash commands a customer may type on a channel, and the payload each becomes.

Every chat channel understands the same ones (the bot's help names them to any customer).
"""


def typed_command(text: str) -> str | None:
    """The payload of the slash command a customer's text starts with, if it is one.

    ``/end``, ``/END now`` and Telegram's ``/start@helpline_bot PARAMETER`` (naming the bot,
    with a deep-link parameter) are commands; ``/ends`` and ``what does /end do?`` are not.
    """
    if not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0].split("@", 1)[0].lower()
    return TYPED_COMMANDS.get(word)


_ARTICLE = "/article "
_HELPFUL = "/helpful "
_RATE = "/rate "
#: The ratings a customer may give a conversation (the buttons' and the typed ones).
RATINGS = range(1, 6)


def article(article_id: str) -> str:
    """The payload of a clarification choice: "I meant this article"."""
    return _ARTICLE + article_id


def requested_article(payload: str | None) -> str | None:
    """The article id a clarification button asked for, if the payload is one."""
    if payload is None or not payload.startswith(_ARTICLE):
        return None
    article_id = payload.removeprefix(_ARTICLE).strip()
    return article_id or None


def helpful(verdict: bool) -> str:
    """The payload of a "Did this help?" button under an answer."""
    return _HELPFUL + ("yes" if verdict else "no")


def is_helpful(payload: object) -> bool:
    """Whether the payload is a "Did this help?" press (a valid verdict or not)."""
    return isinstance(payload, str) and payload.startswith(_HELPFUL.rstrip())


def helpful_verdict(payload: object) -> bool | None:
    """True/False for a ``/helpful yes`` / ``/helpful no`` payload, else None."""
    if not isinstance(payload, str) or not payload.startswith(_HELPFUL):
        return None
    answer = payload.removeprefix(_HELPFUL).strip().lower()
    return {"yes": True, "no": False}.get(answer)


def rate(rating: int) -> str:
    """The payload of a satisfaction button, ``/rate 1`` to ``/rate 5``.

    Raises:
        ValueError: the rating is not 1-5.
    """
    if rating not in RATINGS:
        raise ValueError(f"a rating is 1-5, not {rating}")
    return f"{_RATE}{rating}"


def rating_of(payload: str | None) -> int | None:
    """The 1-5 rating a ``/rate N`` payload carries, else None."""
    if payload is None or not payload.startswith(_RATE):
        return None
    value = payload.removeprefix(_RATE).strip()
    return int(value) if value in {str(n) for n in RATINGS} else None
