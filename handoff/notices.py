"""Status notices as customers see them: audience, placeholders, and when a wait changed.

Pure functions over :class:`handoff.model.Notice`; the caller gathers the values.

A notice's audience is stored as a short text: ``team:it-support``, ``channel:web``, both
(``team:it-support,channel:web``), or nothing for everyone.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from handoff.model import Notice

#: The placeholders staff may write in a notice, filled in per conversation.
PLACEHOLDERS = ("eta", "position", "next_open")

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")

#: Below this change in either end of the range, a wait update would be noise.
MATERIAL_CHANGE_S = 300.0
#: A relative change counts too, so short waits are updated on smaller absolute moves.
MATERIAL_CHANGE_RATIO = 0.5


class NoticeState(enum.StrEnum):
    """Where a notice stands at a moment: customers see only an active one."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


def notice_state(notice: Notice, now: datetime) -> NoticeState:
    """The notice's state at ``now`` (the store's query for live notices agrees)."""
    if now < notice.starts_at:
        return NoticeState.SCHEDULED
    if notice.ends_at is None or now < notice.ends_at:
        return NoticeState.ACTIVE
    return NoticeState.ENDED


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a notice is for: a team's customers, a channel's, both, or (all None) everyone."""

    team: str | None = None
    channel: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Audience:
        """Read the stored form.

        Raises:
            ValueError: an unknown part.
        """
        values: dict[str, str] = {}
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            name, sep, value = part.partition(":")
            if not sep or name not in ("team", "channel") or not value:
                raise ValueError(f"notice audience {text!r}: use team:ID and/or channel:NAME")
            values[name] = value
        return cls(team=values.get("team"), channel=values.get("channel"))

    def stored(self) -> str | None:
        """The stored form (None for everyone)."""
        parts = [f"team:{self.team}"] if self.team else []
        parts += [f"channel:{self.channel}"] if self.channel else []
        return ",".join(parts) or None

    def includes(self, *, team: str | None, channel: str) -> bool:
        """Tell whether a conversation of ``team`` on ``channel`` is in the audience.

        A conversation not routed to a team yet sees team notices only once it is routed.
        """
        if self.channel is not None and self.channel != channel:
            return False
        return self.team is None or self.team == team


def audience_of(notice: Notice) -> Audience:
    """The notice's audience; a malformed one (edited by hand) reaches nobody."""
    try:
        return Audience.parse(notice.audience)
    except ValueError:
        return Audience(team="", channel="")


def for_conversation(notices: Iterable[Notice], *, team: str | None, channel: str) -> list[Notice]:
    """The notices whose audience includes a conversation, in the given order."""
    return [n for n in notices if audience_of(n).includes(team=team, channel=channel)]


def text_in(notice: Notice, language: str, *, fallback: str = "en") -> str | None:
    """The notice's text in ``language``, else in ``fallback``, else its first text."""
    picked = pick_text(notice, language, fallback=fallback)
    return None if picked is None else picked[1]


def pick_text(notice: Notice, language: str, *, fallback: str = "en") -> tuple[str, str] | None:
    """The language and text :func:`text_in` picks: placeholders are filled in the text's
    own language, so a notice written only in English does not read "expect svar, så snart
    en medarbejder er ledig" to a Danish customer."""
    for lang in (language, fallback):
        if notice.texts.get(lang):
            return lang, notice.texts[lang]
    return next(((lang, t) for lang, t in notice.texts.items() if t), None)


def used_placeholders(text: str) -> frozenset[str]:
    """The placeholders a notice text uses (so callers compute only those)."""
    return frozenset(_PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{eta}``, ``{position}`` and ``{next_open}`` in a notice text.

    Only these names are replaced; any other braces are staff text and stay as written
    (``str.format`` would fail on them, or worse, read attributes). A placeholder without
    a value stays as written too.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def changed_materially(old: tuple[float, float] | None, new: tuple[float, float] | None) -> bool:
    """Tell whether a queued customer should hear about a new wait range.

    Args:
        old: the (low, high) range in seconds last told, or None if none was.
        new: the current range, or None when no honest estimate exists.

    Returns:
        True when a range appears or disappears, or either end moved by at least
        :data:`MATERIAL_CHANGE_S` or by :data:`MATERIAL_CHANGE_RATIO` of its old value.
    """
    if old is None or new is None:
        return old != new
    for before, after in zip(old, new, strict=True):
        moved = abs(after - before)
        if moved >= MATERIAL_CHANGE_S or moved >= MATERIAL_CHANGE_RATIO * max(before, 1.0):
            return True
    return False
