"""Files in conversations, on SQL: kept apart from the transcript, read back by id."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, update

from handoff.attachments import AttachmentRef, NewAttachment, StoredFile
from handoff.errors import NotFound
from handoff.store.base import SqlBase
from handoff.store.tables import AttachmentRow, MessageRow


def stored_file(row: AttachmentRow, conversation_id: UUID | None = None) -> StoredFile:
    """The row as a value type, with the conversation of its message if known."""
    return StoredFile(
        ref=AttachmentRef(row.id, row.name, row.content_type, row.size),
        customer_id=row.customer_id,
        message_id=row.message_id,
        created_at=row.created_at,
        data=row.data,
        conversation_id=conversation_id,
    )


class AttachmentsSql(SqlBase):
    """:meth:`add_attachment`, :meth:`link_attachments` and :meth:`get_attachment`."""

    async def add_attachment(self, customer_id: int, file: NewAttachment) -> AttachmentRef:
        """Keep a checked file of a customer's conversation, not yet on a message.

        The id is random and long: it names the file in messages and URLs, and is never
        guessed from another one.
        """
        row = AttachmentRow(
            id=secrets.token_urlsafe(24),
            customer_id=customer_id,
            message_id=None,
            name=file.name,
            content_type=file.content_type,
            size=len(file.data),
            data=file.data,
            created_at=self._clock(),
        )
        async with self._tx(write=True) as session:
            session.add(row)
        return AttachmentRef(row.id, row.name, row.content_type, row.size)

    async def link_attachments(self, message_id: int, customer_id: int, ids: Sequence[str]) -> None:
        """Give files to the message that carries them (only the customer's own, only once)."""
        if not ids:
            return
        async with self._tx(write=True) as session:
            await session.execute(
                update(AttachmentRow)
                .where(
                    AttachmentRow.id.in_(list(ids)),
                    AttachmentRow.customer_id == customer_id,
                    AttachmentRow.message_id.is_(None),
                )
                .values(message_id=message_id)
            )

    async def get_attachment(self, attachment_id: str) -> StoredFile:
        """A kept file with its content and its message's conversation. Raises NotFound."""
        async with self._tx(write=False) as session:
            found = (
                await session.execute(
                    select(AttachmentRow, MessageRow.conversation_id)
                    .outerjoin(MessageRow, MessageRow.id == AttachmentRow.message_id)
                    .where(AttachmentRow.id == attachment_id)
                )
            ).first()
            if found is None:
                raise NotFound("attachment", attachment_id)
            row, conversation_id = found
            return stored_file(row, conversation_id)
