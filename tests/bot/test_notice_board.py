"""Posting and ending notices: times, timers and the audit trail, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.desk.notice_board import NoticeRejected, end_notice, parse_when, post_notice
from handoff.notices import Audience
from handoff.store.sql import SqlStore
from handoff.timers import TimerKind

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("2h", NOW + timedelta(hours=2)),
        ("+90m", NOW + timedelta(minutes=90)),
        ("1d2h", NOW + timedelta(days=1, hours=2)),
        ("2026-03-02T17:00", datetime(2026, 3, 2, 16, 0, tzinfo=UTC)),  # Copenhagen, UTC+1
        ("2026-03-02T17:00+00:00", datetime(2026, 3, 2, 17, 0, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, time_zone=CPH) == expected


@pytest.mark.parametrize("text", ["tomorrow", "", "5 o'clock"])
def test_parse_when_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(NoticeRejected, match="is not a time"):
        parse_when(text, now=NOW, time_zone=CPH)


async def test_posting_arms_the_start_and_the_end(store: SqlStore) -> None:
    notice = await post_notice(
        store,
        texts={"en": " Busy ", "da": ""},
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=2),
        audience=Audience(team="it-support"),
        actor="agent:sofie",
    )
    assert notice.texts == {"en": "Busy"}
    assert notice.audience == "team:it-support"
    timers = {(t.kind, t.key, t.due_at) for t in await store.pending_timers()}
    key = str(notice.id)
    assert timers == {
        (TimerKind.NOTICE_START, key, NOW),
        (TimerKind.NOTICE_END, key, NOW + timedelta(hours=2)),
    }


async def test_ending_a_scheduled_notice_disarms_it(store: SqlStore) -> None:
    notice = await post_notice(
        store,
        texts={"en": "Tonight"},
        starts_at=NOW + timedelta(hours=8),
        ends_at=NOW + timedelta(hours=10),
        audience=Audience(),
        actor="cli",
    )
    ended = await end_notice(store, notice.id, now=NOW, actor="cli")
    assert ended.ends_at == ended.starts_at  # never shown
    assert await store.pending_timers() == []
    assert await store.active_notices(NOW + timedelta(hours=9)) == []


async def test_an_unknown_channel_is_refused(store: SqlStore) -> None:
    with pytest.raises(NoticeRejected, match="unknown channel"):
        await post_notice(
            store,
            texts={"en": "Busy"},
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=1),
            audience=Audience(channel="fax"),
            actor="cli",
        )
