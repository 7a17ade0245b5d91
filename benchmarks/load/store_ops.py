"""What one message costs the store: CPU time per store call, one call at a time.

Usage (from the repository root)::

    python benchmarks/load/store_ops.py [--database sqlite|postgresql+psycopg://...]
                                        [--calls 300]

A fresh database (a SQLite file, or a fresh schema of the PostgreSQL database), one
conversation with 100 messages, then each operation ``--calls`` times in a row. CPU is the
process's user + system time (the driver's threads included) per call; wall is per call
too. The rows named like the runtime's steps are what one customer message costs on the
web chat: the token lookup, receiving the message with the turn's history, storing the
replies. ``SELECT 1`` through the pool is the floor any transaction pays.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from benchmarks.load.run import fresh_database
from bot.runtime import HISTORY_WINDOW
from handoff.model import NewMessage, SenderKind
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
