"""Customers' feedback on SQL: helpful or not for the bot's answers, ratings for agents."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from handoff import payloads
from handoff.errors import NotFound
from handoff.model import Feedback
from handoff.store.base import SqlBase
from handoff.store.tables import ConversationRow, FeedbackRow, MessageRow


class FeedbackSql(SqlBase):
    """The feedback part of the SQL store."""

    async def record_feedback(
        self,
        conversation_id: UUID,
        *,
        message_id: int | None = None,
        agent_id: int | None = None,
        helpful: bool | None = None,
        rating: int | None = None,
        typed_in: int | None = None,
    ) -> Feedback:
        """Store a customer's verdict, credited to ``agent_id`` (None: the bot).

        ``typed_in`` is the customer's message of the conversation that said "helpful" or
        "not helpful" in words; it is remembered as carrying the "Did this help?" button's
        payload (:func:`handoff.payloads.helpful`), so that whoever reads the transcript
        reads it as the press, not as a question.

        Raises:
            ValueError: neither or both of ``helpful`` and ``rating``, a rating outside
                1-5, or ``typed_in`` with a rating.
            NotFound: no such conversation, or no such message in it.
        """
        if (helpful is None) == (rating is None):
            raise ValueError("feedback is either helpful/not helpful or a rating")
        if rating is not None and not 1 <= rating <= 5:
            raise ValueError(f"a rating is 1 to 5, got {rating}")
        if typed_in is not None and helpful is None:
            raise ValueError("only a helpful/not helpful verdict is typed in a message")
        async with self._tx(write=True) as session:
            if await session.get(ConversationRow, conversation_id) is None:
                raise NotFound("conversation", conversation_id)
            if typed_in is not None and helpful is not None:
                said = await session.get(MessageRow, typed_in)
                if said is None or said.conversation_id != conversation_id:
                    raise NotFound("message", typed_in)
                # The text stays as it was typed; the meta says what it meant.
                said.meta = {**(said.meta or {}), "payload": payloads.helpful(helpful)}
            row = FeedbackRow(
                conversation_id=conversation_id,
                message_id=message_id,
                agent_id=agent_id,
                helpful=helpful,
                rating=rating,
                created_at=self._clock(),
            )
            session.add(row)
            await session.flush()
            return row.to_value()

    async def feedback(self, conversation_id: UUID) -> list[Feedback]:
        """The feedback given in a conversation, oldest first."""
        async with self._tx(write=False) as session:
            rows = await session.scalars(
                select(FeedbackRow)
                .where(FeedbackRow.conversation_id == conversation_id)
                .order_by(FeedbackRow.id)
            )
            return [row.to_value() for row in rows]
