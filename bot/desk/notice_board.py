"""Posting and ending status notices: one path for the console and the command line.

A posted notice is stored, its start and end are armed as timers (at its start, queued
customers in its audience see it), and the audit log records who posted or ended it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import BotError
from handoff.model import Notice
from handoff.notices import Audience
from handoff.store.port import Store
from handoff.timers import TimerKind

#: The channels a notice can be limited to.
CHANNELS = ("web", "telegram")
MAX_NOTICE_CHARS = 1000

_DURATION = re.compile(r"^\+?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?$")


class NoticeRejected(BotError):
    """A notice could not be posted as given; the message says why, for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_when(text: str, *, now: datetime, time_zone: ZoneInfo) -> datetime:
    """Read a notice time: ``now``, a duration from now (``2h``, ``90m``, ``1d2h``) or an
    ISO date and time (``2026-03-02T17:00``, local to ``time_zone`` without an offset).

    Raises:
        NoticeRejected: the text is none of these.
    """
    text = text.strip()
    if text.lower() == "now":
        return now
    match = _DURATION.match(text.lower())
    if match and any(match.groupdict().values()):
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        return now + timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise NoticeRejected(
            f"{text!r} is not a time: use now, a duration such as 2h or 90m, "
            "or a date and time such as 2026-03-02T17:00"
        ) from exc
    return moment.replace(tzinfo=time_zone) if moment.tzinfo is None else moment


def clean_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """The non-empty texts per language, stripped.

    Raises:
        NoticeRejected: no text at all, or a text is too long.
    """
    cleaned = {lang: text.strip() for lang, text in texts.items() if text and text.strip()}
    if not cleaned:
        raise NoticeRejected("a notice needs a text in at least one language")
    for lang, text in cleaned.items():
        if len(text) > MAX_NOTICE_CHARS:
            raise NoticeRejected(f"the {lang} text is longer than {MAX_NOTICE_CHARS} characters")
    return cleaned


async def post_notice(
    store: Store,
    *,
    texts: Mapping[str, str],
    starts_at: datetime,
    ends_at: datetime,
    audience: Audience,
    actor: str,
) -> Notice:
    """Store a notice, arm its start and end, and audit who posted it.

    Args:
        store: the desk's store.
        texts: the notice per language; empty ones are left out.
        starts_at: when customers start seeing it (aware).
        ends_at: when they stop (aware, after ``starts_at``).
        audience: a team's customers, a channel's, or everyone.
        actor: who posts it, for the audit log (``agent:LOGIN``, ``cli``).

    Raises:
        NoticeRejected: no text, a text too long, an unknown channel, or it ends before
            it starts.
    """
    cleaned = clean_texts(texts)
    if ends_at <= starts_at:
        raise NoticeRejected("a notice must end after it starts")
    if audience.channel is not None and audience.channel not in CHANNELS:
        raise NoticeRejected(f"unknown channel {audience.channel!r}: use {', '.join(CHANNELS)}")
    notice = await store.post_notice(
        texts=cleaned, starts_at=starts_at, ends_at=ends_at, audience=audience.stored()
    )
    key = str(notice.id)
    await store.schedule_timer(TimerKind.NOTICE_START, key, starts_at)
    await store.schedule_timer(TimerKind.NOTICE_END, key, ends_at)
    await store.audit(
        actor=actor,
        action="post_notice",
        target=f"notice:{notice.id}",
        detail=audience.stored() or "everyone",
    )
    return notice


async def end_notice(store: Store, notice_id: int, *, now: datetime, actor: str) -> Notice:
    """End a notice now (audited); a notice that has not started never starts.

    Raises:
        NotFound: no such notice.
    """
    notice = await store.end_notice(notice_id, at=now, actor=actor)
    await store.cancel_timer(TimerKind.NOTICE_START, str(notice_id))
    await store.cancel_timer(TimerKind.NOTICE_END, str(notice_id))
    return notice
