"""The :class:`~handoff.store.port.Store` on SQLAlchemy: SQLite or PostgreSQL.

Each public method is one transaction. Ordering and exclusivity live in the database, not
in memory, so several processes may share one PostgreSQL database (see
:mod:`handoff.store.messages` for the transcript's order and :mod:`handoff.store.ownership`
for exclusive ownership).

:class:`SqlStore` is composed of one class per concern, each in the module of its
concern with its ORM methods and its Core units; all of them extend
:class:`~handoff.store.base.SqlBase` (engine, clock, transactions, translation of database
errors into the :mod:`handoff.errors` tree) and nothing else. ORM rows never leave them.
"""

from __future__ import annotations

from handoff.errors import StoreUnavailable
from handoff.store.agents import AgentsSql
from handoff.store.attachments import AttachmentsSql
from handoff.store.avatars import AvatarsSql
from handoff.store.base import Clock, utc_now
from handoff.store.conversations import ConversationsSql
from handoff.store.customers import CustomersSql
from handoff.store.engine import create_engine_for
from handoff.store.feedback import FeedbackSql
from handoff.store.inbox import InboxSql
from handoff.store.leads import LeadsSql
from handoff.store.messages import MessagesSql
from handoff.store.migrate import migrate_engine
from handoff.store.notices import NoticesSql
from handoff.store.ownership import OwnershipSql
from handoff.store.privacy import PrivacySql
from handoff.store.queue import QueueSql
from handoff.store.reply_mail import ReplyMailSql
from handoff.store.saved_replies import SavedRepliesSql
from handoff.store.stats import StatsSql
from handoff.store.timers import TimersSql


class SqlStore(
    CustomersSql,
    ConversationsSql,
    MessagesSql,
    AttachmentsSql,
    QueueSql,
    OwnershipSql,
    InboxSql,
    AgentsSql,
    AvatarsSql,
    SavedRepliesSql,
    FeedbackSql,
    NoticesSql,
    TimersSql,
    LeadsSql,
    PrivacySql,
    StatsSql,
    ReplyMailSql,
):
    """Helpline's persistence on SQLite or PostgreSQL: the :class:`~handoff.store.port.Store`.

    Args:
        engine: from :func:`handoff.store.engine.create_engine_for`; the store owns it
            from now on and disposes it in :meth:`close`.
        clock: returns the current aware UTC time; tests pass a fake.
    """

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, clock: Clock = utc_now) -> SqlStore:
        """Connect to ``url`` and, unless told otherwise, upgrade its schema first.

        Raises:
            StoreUnavailable: the database could not be reached or migrated.
        """
        engine = create_engine_for(url)
        if migrate:
            try:
                await migrate_engine(engine)
            except StoreUnavailable:
                await engine.dispose()
                raise
        return cls(engine, clock=clock)
