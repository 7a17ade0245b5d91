"""Photos and documents on Telegram: customers' files are kept, agents' files are sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from bot.channels.telegram.channel import TelegramChannel, build_application
from bot.channels.telegram.delivery import TelegramDelivery
from handoff.attachments import ONLY_FILES, NewAttachment, refs_of
from handoff.model import Customer, Message, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, fast_limiter, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


async def _first_customer_message(store: SqlStore) -> Message:
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    return (await store.customer_messages(customer.id))[0]


def _photo(file_id: str) -> list[dict[str, object]]:
    small = {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 60}
    return [small, {"file_id": file_id, "file_unique_id": "u", "width": 900, "height": 600}]


async def test_a_photo_is_kept_with_its_caption(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    file_id = fake.add_file(JPEG, name="photo.jpg")
    message = fake.message(CHAT, photo=_photo(file_id), caption="this error")
    await handled(fake, fake.push({"message": message}))

    stored = await _first_customer_message(store)
    (ref,) = refs_of(stored.meta)
    assert (stored.text, ref.name, ref.content_type) == ("this error", "photo.jpg", "image/jpeg")
    assert (await store.get_attachment(ref.id)).data == JPEG


async def test_a_pdf_without_words_is_kept_and_acknowledged(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    file_id = fake.add_file(PDF, name="form.pdf")
    document = {"file_id": file_id, "file_unique_id": "u", "file_name": "form.pdf"}
    await handled(fake, fake.push({"message": fake.message(CHAT, document=document)}))

    stored = await _first_customer_message(store)
    assert (stored.text, stored.meta[ONLY_FILES]) == ("form.pdf", True)
    assert "saved with this conversation" in fake.sent_to(CHAT)[-1].text


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "invoice.pdf"),
        (b"MZ\x90\x00 a program", "photo.jpg"),
    ],
    ids=["page-named-pdf", "program-named-jpg"],
)
async def test_a_document_that_is_not_what_it_says_is_not_kept(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore, content: bytes, name: str
) -> None:
    file_id = fake.add_file(content, name=name)
    document = {"file_id": file_id, "file_unique_id": "u", "file_name": name}
    await handled(fake, fake.push({"message": fake.message(CHAT, document=document)}))

    assert refs_of((await _first_customer_message(store)).meta) == ()
    assert fake.sent_to(CHAT)[-1].text.startswith("Sorry, I can only read text.")


@pytest.fixture
async def delivery(fake: FakeBotApi, store: SqlStore) -> AsyncIterator[TelegramDelivery]:
    application = build_application(fake.token, fake.base_url)
    async with application:
        yield TelegramDelivery(application.bot, store, limiter=fast_limiter(), max_retries=2)


@pytest.fixture
async def customer(store: SqlStore) -> Customer:
    return await store.upsert_customer(channel="telegram", external_id=str(CHAT))


@pytest.mark.parametrize(
    ("content", "name", "method"),
    [(JPEG, "steps.jpg", "sendPhoto"), (PDF, "guide.pdf", "sendDocument")],
    ids=["photo", "pdf"],
)
async def test_an_agents_file_is_sent_to_the_customer(
    fake: FakeBotApi,
    delivery: TelegramDelivery,
    store: SqlStore,
    customer: Customer,
    content: bytes,
    name: str,
    method: str,
) -> None:
    ref = await store.add_attachment(customer.id, NewAttachment.check(content, name))
    message = Message(
        id=1,
        conversation_id=uuid4(),
        seq=1,
        sender=SenderKind.AGENT,
        text=name,
        created_at=datetime.now(UTC),
        agent_id=1,
        agent_name="Maria",
        meta={"attachments": [ref.to_meta()], ONLY_FILES: True},
    )
    await delivery.deliver(customer, message)
    (sent,) = fake.files_to(CHAT)
    assert (sent.method, sent.file, sent.text) == (method, content, "Maria")
    assert fake.sent_to(CHAT) == []  # no text message naming the file as well
