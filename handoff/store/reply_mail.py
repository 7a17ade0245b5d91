"""Replies by e-mail on SQL: the customer's address, what their chat received, what was
mailed, and the claim that makes each mail go out once (:mod:`handoff.reply_mail`).

Also the further bearer tokens of web customers, one per resume link exchanged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.model import Customer
from handoff.reply_mail import STALE_CLAIM, ReplyMailState
from handoff.store.base import SqlBase, aware
from handoff.store.tables import ConversationRow, CustomerRow, ReplyMailRow, WebTokenRow


class ReplyMailSql(SqlBase):
    """The reply mail part of the SQL store."""

    async def ask_for_address(self, customer_id: int) -> bool:
        """Record that the customer is asked for an address now; False if they were before.

        Two turns racing both see the row missing; the primary key lets one insert win.
        """

        async def work(session: AsyncSession) -> bool:
            if await session.get(ReplyMailRow, customer_id) is not None:
                return False
            session.add(_new_row(customer_id, self._clock()))
            await session.flush()
            return True

        return await self._write_retrying(work)

    async def set_reply_address(self, customer_id: int, address: str | None) -> None:
        """Keep the customer's address (None: they declined), asked or not before."""

        async def work(session: AsyncSession) -> None:
            row = await session.get(ReplyMailRow, customer_id)
            if row is None:
                row = _new_row(customer_id, self._clock())
                session.add(row)
            row.address = address
            await session.flush()

        await self._write_retrying(work)

    async def reply_mail_state(self, customer_id: int) -> ReplyMailState | None:
        """The customer's mail state, or None when they were never asked."""
        async with self._tx(write=False) as session:
            row = await session.get(ReplyMailRow, customer_id)
            return None if row is None else row.to_value()

    async def mark_seen(self, customer_id: int, through: int) -> None:
        """An open chat of the customer received the messages up to ``through``."""
        async with self._tx(write=True) as session:
            await session.execute(
                update(ReplyMailRow)
                .where(ReplyMailRow.customer_id == customer_id, ReplyMailRow.seen_through < through)
                .values(seen_through=through)
            )

    async def claim_reply_mail(
        self, customer_id: int, through: int, *, now: datetime
    ) -> ReplyMailState | None:
        """Claim sending the customer's replies up to ``through``; None if not to send.

        The claim is a conditional update: nobody else is sending, an address is kept, and
        these replies were neither received by the chat nor mailed. A claim older than
        :data:`~handoff.reply_mail.STALE_CLAIM` (its process stopped mid-send) counts as sent.
        """
        now = aware(now, "now")
        async with self._tx(write=True) as session:
            await session.execute(
                update(ReplyMailRow)
                .where(
                    ReplyMailRow.customer_id == customer_id,
                    ReplyMailRow.sending_since < now - STALE_CLAIM,
                )
                .values(
                    mailed_through=ReplyMailRow.sending_through,
                    sending_through=None,
                    sending_since=None,
                    attempts=0,
                )
            )
            claimed = await session.execute(
                update(ReplyMailRow)
                .where(
                    ReplyMailRow.customer_id == customer_id,
                    ReplyMailRow.address.is_not(None),
                    ReplyMailRow.sending_through.is_(None),
                    ReplyMailRow.mailed_through < through,
                    ReplyMailRow.seen_through < through,
                )
                .values(sending_through=through, sending_since=now)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            row = await session.get(ReplyMailRow, customer_id, populate_existing=True)
            return None if row is None else row.to_value()

    async def finish_reply_mail(self, customer_id: int, through: int, *, done: bool) -> int:
        """End the claim on the replies up to ``through``.

        Args:
            customer_id: whose mail.
            through: the claimed reply id.
            done: True when the mail went out (or was given up): those replies are
                handled; False when the attempt failed and will be retried.

        Returns:
            The failed attempts so far (0 once done).
        """
        async with self._tx(write=True) as session:
            row = await session.scalar(
                select(ReplyMailRow)
                .where(
                    ReplyMailRow.customer_id == customer_id,
                    ReplyMailRow.sending_through == through,
                )
                .with_for_update()
            )
            if row is None:
                return 0  # erased meanwhile, or the claim went stale and was taken as sent
            row.sending_through = None
            row.sending_since = None
            if done:
                row.mailed_through = max(row.mailed_through, through)
                row.attempts = 0
            else:
                row.attempts += 1
            return row.attempts

    # Further tokens of web customers -------------------------------------------------

    async def add_web_token(self, customer_id: int, digest: str) -> None:
        """Let the bearer token with this digest act as the customer too."""
        async with self._tx(write=True) as session:
            session.add(
                WebTokenRow(digest=digest, customer_id=customer_id, created_at=self._clock())
            )

    async def web_token_customer(self, digest: str) -> Customer | None:
        """The customer a further token (by its digest) belongs to, or None."""
        async with self._tx(write=False) as session:
            row = await session.scalar(
                select(CustomerRow)
                .join(WebTokenRow, WebTokenRow.customer_id == CustomerRow.id)
                .where(WebTokenRow.digest == digest)
            )
            return None if row is None else row.to_value()


def _new_row(customer_id: int, now: datetime) -> ReplyMailRow:
    return ReplyMailRow(
        customer_id=customer_id,
        address=None,
        asked_at=now,
        seen_through=0,
        mailed_through=0,
        attempts=0,
    )


async def forget_reply_mail(session: AsyncSession, customer_ids: list[int] | None) -> None:
    """Delete the addresses and further tokens of these customers (None: of every customer
    left without a conversation, as after a retention purge)."""
    for table in (ReplyMailRow, WebTokenRow):
        if customer_ids is None:
            gone = ~exists().where(ConversationRow.customer_id == table.customer_id)
            await session.execute(delete(table).where(gone))
        else:
            await session.execute(delete(table).where(table.customer_id.in_(customer_ids)))
