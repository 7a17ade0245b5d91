"""Change notifications: what one process stores on PostgreSQL, every listener hears."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from handoff.model import HandoffReason, NewMessage, SenderKind
from handoff.store.changes import ChangeListener, libpq_dsn
from handoff.store.sql import SqlStore
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres


def test_the_listeners_connection_string_keeps_every_libpq_option(postgres_admin: str) -> None:
    # A URI would carry the space between the two settings as "+", which libpq keeps.
    url = (
        make_url(postgres_url())
        .update_query_dict({"options": "-cwork_mem=4321kB -csearch_path=pg_catalog"})
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(libpq_dsn(url)) as conn:
        assert conn.execute("SHOW work_mem").fetchone() == ("4321kB",)
        assert conn.execute("SHOW search_path").fetchone() == ("pg_catalog",)


@pytest.fixture
async def writer(postgres_schema_url: str) -> AsyncIterator[SqlStore]:
    """A store on a fresh PostgreSQL schema (another process, as far as a listener knows)."""
    opened = await SqlStore.open(postgres_schema_url, migrate=True)
    yield opened
    await opened.close()


async def test_a_stored_message_and_a_handoff_are_heard_by_a_listener(
    writer: SqlStore, postgres_schema_url: str
) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    gaps: list[None] = []
    listener = ChangeListener(
        postgres_schema_url, on_change=heard.put_nowait, on_gap=lambda: gaps.append(None)
    )
    await listener.start()
    try:
        customer = await writer.upsert_customer(channel="web", external_id="t")
        conversation = await writer.open_conversation(customer.id)
        said = NewMessage(sender=SenderKind.CUSTOMER, text="hi")
        await writer.append_message(conversation.id, said)
        await writer.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED)
        words = set()
        while f"customer:{customer.id}" not in words or "desk" not in words:
            words.add(await asyncio.wait_for(heard.get(), 10))
    finally:
        await listener.close()
    assert words == {f"customer:{customer.id}", "desk"}
    assert gaps == []
