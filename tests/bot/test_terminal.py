"""`helpline chat`: the terminal conversation through the real runtime."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from bot.channels.terminal import chat
from bot.runtime.core import Runtime
from handoff.model import ConversationState
from handoff.store.sql import SqlStore


def lines(*typed: str) -> Callable[[], str | None]:
    feed: Iterator[str] = iter(typed)
    return lambda: next(feed, None)


async def test_a_terminal_conversation(runtime: Runtime, store: SqlStore) -> None:
    out = io.StringIO()
    await chat(
        runtime,
        read_line=lines("what is the capital of Mongolia", "1", "/quit"),
        out=out,
        sender_id="tester",
    )
    screen = out.getvalue()
    assert "bot> I'm not sure I have a good answer" in screen
    assert "[1] Talk to a person" in screen
    assert "You are next in the queue" in screen
    customer = await store.find_customer(channel="terminal", external_id="tester")
    assert customer is not None
    conversation = await store.open_conversation(customer.id)
    assert conversation.state is ConversationState.QUEUED


async def test_the_terminal_shows_the_answer(runtime: Runtime) -> None:
    out = io.StringIO()
    await chat(runtime, read_line=lines("how do i reset my password"), out=out, sender_id="t2")
    assert "bot> Go to https://password.example.org" in out.getvalue()
