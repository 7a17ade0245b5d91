"""The runtime against hostile text: arbitrary unicode, NUL, lone surrogates, bidi overrides.

Property-based (hypothesis) on the real runtime, the real rasa-sdk executor and a real
SQLite file. The promises: a message either is stored (as ``clean_text`` of what arrived)
and answered, or is refused with ``MessageRejected`` because nothing is left of it; no
other exception ever escapes; the transcript keeps arrival order; a redelivery adds no rows.

The ordinary 1 MB message is ``test_a_huge_message_is_kept_and_answered_politely`` in
``test_runtime.py`` (SQLite); here a 1 MB message of hostile characters runs on both SQLite
and PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from bot.errors import MessageRejected
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import Handled, IncomingMessage, clean_text
from bot.service.composition import KnowledgeHolder, build_runtime, load_snapshot
from bot.settings.model import Settings
from handoff.model import SenderKind
from handoff.store.sql import SqlStore

#: Characters that have broken chat systems: NUL, lone surrogates, bidi overrides and
#: isolates, zero-width and byte-order marks, combining marks, emoji sequences, line breaks.
NASTY = (
    "\x00",
    "\ud800",
    "\udfff",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u0301",
    "\U0001f642",
    "\U0001f469\u200d\U0001f4bb",
    "\U0001f1e9\U0001f1f0",
    "\r\n",
    "\u2028",
    "\x1b[2J",
    "\t",
    " ",
    "\U0010ffff",
)
#: Words the knowledge knows, so some messages reach an answer (or a handoff) not a fallback.
WORDS = ("vpn", "password", "stolen", "person", "hjemmefra", "'; DROP TABLE messages; --")

#: Any code point at all, surrogates included (st.characters() leaves them out by default).
any_character = st.characters(exclude_categories=())
pieces = st.one_of(
    st.text(any_character, max_size=30),
    st.sampled_from(NASTY),
    st.sampled_from(WORDS),
)
hostile_text = st.one_of(
    st.lists(pieces, max_size=12).map("".join),
    # A long run of one piece: past the runtime's limit of 4,000 characters.
    st.builds(lambda piece, count: piece * count, st.sampled_from(NASTY), st.integers(1, 6000)),
)

HOSTILE_SETTINGS = hypothesis.settings(
    max_examples=60,
    deadline=None,
    # One runtime (and one database) for all examples; each example is a new customer.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_senders = (f"hostile-{number}" for number in itertools.count(1))


def said(sender: str, text: str, number: int) -> IncomingMessage:
    return IncomingMessage(
        channel="web", sender_id=sender, external_id=f"web:{sender}:{number}", text=text
    )


async def handle_or_refuse(runtime: Runtime, incoming: IncomingMessage) -> Handled | None:
    """The runtime's answer, or None when it refused the message as empty."""
    try:
        return await runtime.handle(incoming)
    except MessageRejected:
        assert clean_text(incoming.text) == ""
        return None


@HOSTILE_SETTINGS
@given(text=hostile_text)
async def test_hostile_text_is_stored_clean_and_answered_or_refused_as_empty(
    runtime: Runtime, store: SqlStore, text: str
) -> None:
    sender = next(_senders)
    handled = await handle_or_refuse(runtime, said(sender, text, 1))
    if handled is None:
        assert await store.find_customer(channel="web", external_id=sender) is None
        return
    assert handled.message.text == clean_text(text)
    assert handled.replies, "the customer always gets an answer"
    stored = await store.transcript(handled.conversation.id)
    assert stored[0].text == clean_text(text)


@HOSTILE_SETTINGS
@given(text=hostile_text.filter(lambda text: clean_text(text) != ""))
async def test_a_redelivered_hostile_message_adds_no_rows(
    runtime: Runtime, store: SqlStore, text: str
) -> None:
    sender = next(_senders)
    first = await runtime.handle(said(sender, text, 1))
    before = await store.transcript(first.conversation.id)
    again = await runtime.handle(said(sender, text, 1))
    assert again.duplicate
    assert again.message.id == first.message.id
    assert [r.id for r in again.replies] == [r.id for r in first.replies]
    assert await store.transcript(first.conversation.id) == before


@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(hostile_text, min_size=2, max_size=4))
async def test_the_transcript_keeps_the_order_of_hostile_messages(
    runtime: Runtime, store: SqlStore, texts: list[str]
) -> None:
    sender = next(_senders)
    handled = [
        await handle_or_refuse(runtime, said(sender, text, number))
        for number, text in enumerate(texts)
    ]
    accepted = [h for h in handled if h is not None]
    customer = await store.find_customer(channel="web", external_id=sender)
    messages = [] if customer is None else await store.customer_messages(customer.id, after_id=0)
    from_customer = [m.text for m in messages if m.sender is SenderKind.CUSTOMER]
    assert from_customer == [clean_text(t) for t in texts if clean_text(t)]
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    expected = [m.id for h in accepted for m in (h.message, *h.replies)]
    assert [m.id for m in messages] == expected


# A 1 MB message of hostile characters, on SQLite and on PostgreSQL ------------------------

MEGABYTE_TEXT = ("vpn \x00\ud800\u202e\u200b\U0001f642 " * 80_000)[:1_000_000]


@pytest.fixture
async def any_database_runtime(
    settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, SqlStore]]:
    """The runtime on each test database (a SQLite file, a PostgreSQL schema)."""
    on_database = settings.model_copy(update={"database_url": database_url})
    opened = await SqlStore.open(on_database.database_url, migrate=True)
    built, _ = build_runtime(
        on_database, opened, KnowledgeHolder(load_snapshot(on_database)), ChangeFeed()
    )
    yield built, opened
    await opened.close()


async def test_a_megabyte_of_hostile_text_is_kept_and_answered_politely(
    any_database_runtime: tuple[Runtime, SqlStore],
) -> None:
    runtime, store = any_database_runtime
    handled = await runtime.handle(said("megabyte", MEGABYTE_TEXT, 1))
    stored = await store.transcript(handled.conversation.id)
    assert stored[0].text == clean_text(MEGABYTE_TEXT)
    assert [r.meta.get("kind") for r in handled.replies] == ["too_long"]
