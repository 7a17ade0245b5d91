"""What one message costs the store: CPU time per store call, one call at a time.

Usage (from the repository root)::

    python benchmarks/load/store_ops.py [--database sqlite|postgresql+psycopg://...]
                                        [--calls 300]

A fresh database (a SQLite file, or a fresh schema of the PostgreSQL database), one
conversation with 100 messages, then each operation ``--calls`` times in a row. CPU is the
process's user + system time (the driver's threads included) per call; wall is per call
too. The rows named like the runtime's steps are what one customer message costs on the
web chat: the token lookup, receiving the message with the turn's history, storing the
replies. The rows after them are what a handoff request costs besides (the runtime's
``_hand_off`` and the wait estimate of its acknowledgement); the agents are offline, as in
the load benchmark, except for "assign, an agent free". ``SELECT 1`` through the pool is
the floor any transaction pays.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from benchmarks.load.run import fresh_database
from bot.runtime.core import HISTORY_WINDOW
from handoff.model import HandoffReason, NewMessage, Presence, SenderKind
from handoff.store.sql import SqlStore


async def measure(database: str, calls: int) -> list[tuple[str, float, float]]:
    """(operation, CPU ms per call, wall ms per call) for each operation."""
    with tempfile.TemporaryDirectory(prefix="helpline-store-ops-") as directory:
        async with fresh_database(database, Path(directory), 0) as url:
            store = await SqlStore.open(url, migrate=True)
            try:
                return await _measure(store, calls)
            finally:
                await store.close()


async def _measure(store: SqlStore, calls: int) -> list[tuple[str, float, float]]:
    first = await store.receive_message(
        channel="web", sender_id="a", message=NewMessage(sender=SenderKind.CUSTOMER, text="hi")
    )
    conversation = first.conversation.id
    filler = [
        NewMessage(sender=SenderKind.BOT, text=f"line {i} " * 10, meta={"kind": "answer"})
        for i in range(100)
    ]
    await store.append_messages(conversation, filler)
    counter = iter(range(10**9))

    async def select_one() -> None:
        async with store.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def receive() -> None:
        await store.receive_message(
            channel="web",
            sender_id="b",
            history=HISTORY_WINDOW,
            message=NewMessage(
                sender=SenderKind.CUSTOMER, text="hi", external_id=f"m:{next(counter)}"
            ),
        )

    async def replies() -> None:
        reply = NewMessage(sender=SenderKind.BOT, text="an answer", reply_to=first.message.id)
        await store.append_messages(conversation, [reply, reply])

    operations: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("SELECT 1 through the pool", select_one),
        (
            "find_customer (chat API token)",
            lambda: store.find_customer(channel="web", external_id="a"),
        ),
        ("get_conversation", lambda: store.get_conversation(conversation)),
        (
            f"transcript, last {HISTORY_WINDOW}",
            lambda: store.transcript(conversation, after_seq=101 - HISTORY_WINDOW),
        ),
        ("transcript, all 101", lambda: store.transcript(conversation)),
        ("receive_message (+ history)", receive),
        ("append_messages, 2 replies", replies),
    ]
    operations.extend(await _handoff_operations(store, calls + 1))
    rows = []
    for name, operation in operations:
        await operation()  # warm the statement cache
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        for _ in range(calls):
            await operation()
        cpu = (time.process_time() - cpu_start) / calls
        wall = (time.perf_counter() - wall_start) / calls
        rows.append((name, cpu * 1000, wall * 1000))
    return rows


async def _handoff_operations(
    store: SqlStore, calls: int
) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    """The store calls of a handoff; those that change a conversation get a fresh one
    each call (``calls`` of them, made beforehand)."""
    away_after = timedelta(minutes=10)

    async def conversations(prefix: str, *, queued: bool) -> Iterator[UUID]:
        made = []
        for i in range(calls):
            received = await store.receive_message(
                channel="web",
                sender_id=f"{prefix}{i}",
                message=NewMessage(sender=SenderKind.CUSTOMER, text="a person please"),
            )
            made.append(received.conversation.id)
            if queued:
                await store.request_handoff(made[-1], reason=HandoffReason.CUSTOMER_ASKED)
        return iter(made)

    to_hand_off = await conversations("h", queued=False)
    to_assign = await conversations("q", queued=True)
    waiting = next(await conversations("w", queued=False))
    await store.request_handoff(waiting, reason=HandoffReason.CUSTOMER_ASKED, team="it")
    for i in range(3):  # offline colleagues: the wait estimate reads them all the same
        await store.add_agent(login=f"off{i}", name=f"Off {i}", password_hash="x")
    agent = await store.add_agent(login="free", name="Free", password_hash="x", capacity=10 * calls)
    online = False

    async def hand_off() -> None:
        await store.request_handoff(
            next(to_hand_off),
            reason=HandoffReason.CUSTOMER_ASKED,
            team="it",
            summary="a person please",
            detail="person",
        )

    async def assign_free() -> None:
        nonlocal online
        if not online:  # on the first, untimed call
            await store.set_presence(agent.id, Presence.ONLINE)
            online = True
        if await store.assign(next(to_assign), away_after=away_after) is None:
            raise AssertionError("the free agent took nothing")

    return [
        ("request_handoff", hand_off),
        ("assign, nobody online", lambda: store.assign(waiting, away_after=away_after)),
        ("queue_position", lambda: store.queue_position(waiting)),
        ("agent_loads", store.agent_loads),
        ("list_agents (4)", store.list_agents),
        ("get_agent", lambda: store.get_agent(agent.id)),
        ("assign, an agent free", assign_free),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--calls", type=int, default=300)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the table."""
    args = parse_args(argv)
    rows = asyncio.run(measure(args.database, args.calls))
    label = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(f"| operation ({label}) | CPU ms per call | wall ms per call |")
    print("|---|---:|---:|")
    for name, cpu, wall in rows:
        print(f"| {name} | {cpu:.2f} | {wall:.2f} |")


if __name__ == "__main__":
    main()
