"""Durable timers: what is due when, as plain values.

A timer is a row in the store, unique by ``(kind, key)``, so scheduling is idempotent:
scheduling the same timer twice keeps one row. A timer fires exactly once because the
runner claims it with a conditional update (``fired_at IS NULL``) before running it. The
scheduler that wakes the runner lives in :mod:`bot.desk.timer_runner`; this module has no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class TimerKind(enum.StrEnum):
    """What a timer does when it fires; the key says to what."""

    NOTICE_START = "notice_start"  # key: notice id
    NOTICE_END = "notice_end"  # key: notice id
    WAIT_UPDATE = "wait_update"  # key: SWEEP (every queued conversation)
    INACTIVITY = "inactivity"  # key: SWEEP (every conversation with an agent)
    RETENTION_PURGE = "retention_purge"  # key: SWEEP (every closed conversation)
    REPLY_MAIL = "reply_mail"  # key: conversation id (its unread replies, by e-mail)


#: The key of a deployment-wide timer that looks at every conversation it concerns.
SWEEP = "sweep"


@dataclass(frozen=True, slots=True)
class Timer:
    """One durable timer: fires once at or after ``due_at``."""

    id: int
    kind: TimerKind
    key: str
    due_at: datetime
    fired_at: datetime | None

    @property
    def notice_id(self) -> int:
        """The notice a notice timer is about.

        Raises:
            ValueError: the key is not a notice id.
        """
        return int(self.key)

    @property
    def conversation_id(self) -> UUID:
        """The conversation a conversation timer is about.

        Raises:
            ValueError: the key is not a conversation id.
        """
        return UUID(self.key)
