"""Files in the store: read back with the conversation of the message that carries them."""

from __future__ import annotations

from handoff.attachments import META_KEY, NewAttachment
from handoff.model import NewMessage, SenderKind
from handoff.store.sql import SqlStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_a_file_is_read_with_its_messages_conversation(store: SqlStore) -> None:
    customer = await store.upsert_customer(channel="web", external_id="w1")
    conversation = await store.open_conversation(customer.id)
    ref = await store.add_attachment(customer.id, NewAttachment.check(PNG, "shot.png"))
    pending = await store.get_attachment(ref.id)
    message, _ = await store.append_message(
        conversation.id,
        NewMessage(sender=SenderKind.CUSTOMER, text=ref.name, meta={META_KEY: [ref.to_meta()]}),
    )
    await store.link_attachments(message.id, customer.id, [ref.id])
    carried = await store.get_attachment(ref.id)
    assert (
        (pending.message_id, pending.conversation_id),
        (carried.message_id, carried.conversation_id, carried.customer_id, carried.data),
    ) == ((None, None), (message.id, conversation.id, customer.id, PNG))
