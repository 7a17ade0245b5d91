"""Nothing acknowledged is lost or doubled when the service is SIGKILLed under load.

The service runs as a real ``helpline run`` process on a SQLite file (and, the same test, on
PostgreSQL). Twenty web customers
send questions as fast as the service answers them; the process is killed mid-load and
started again on the same file, and each customer re-sends what was never acknowledged with
the same client id, as the chat page does. Then the database must hold every acknowledged
message exactly once with the replies the customer was shown, and every re-sent message
once with its replies; the SQLite file must pass ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.load.harness import (
    ServiceProcess,
    WebCustomer,
    new_customer,
    new_message,
    post,
    questions,
    start_service,
    write_config,
)
from benchmarks.load.verify import sqlite_integrity, transcript_problems

pytestmark = pytest.mark.long

CUSTOMERS = 20
MAX_MESSAGES_EACH = 200  # far more than fit before the kill; bounds the loop
ACKED_BEFORE_KILL = 120
LOAD_TIMEOUT_S = 30.0
PERSON = "can I talk to a person please"


async def _chat(
    client: httpx.AsyncClient, customer: WebCustomer, number: int, texts: list[str]
) -> None:
    """Send questions one after another until the service stops answering."""
    for turn in range(MAX_MESSAGES_EACH):
        # Every fourth customer asks for a person on its third message (a queued handoff).
        text = PERSON if number % 4 == 0 and turn == 2 else texts[(number * 7 + turn) % len(texts)]
        try:
            await post(client, customer, new_message(customer, text))
        except httpx.TransportError:
            return


async def _kill_when_acknowledged(
    service: ServiceProcess, customers: list[WebCustomer], count: int
) -> None:
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while time.monotonic() < deadline:
        acked = sum(s.acked for c in customers for s in c.sent)
        if acked >= count:
            break
        await asyncio.sleep(0.01)
    await service.kill()


async def _kill_restart_and_resend(database_url: str, tmp_path: Path) -> list[WebCustomer]:
    """Load, SIGKILL, restart on the same database, re-send what was never acknowledged;
    the customers, with everything they sent, for the checks."""
    config = write_config(tmp_path, flood_messages=100_000)
    texts = questions()
    limits = httpx.Limits(max_connections=CUSTOMERS + 5)

    first = await start_service(database_url=database_url, workdir=tmp_path, config=config)
    try:
        async with httpx.AsyncClient(base_url=first.base_url, timeout=10, limits=limits) as client:
            customers = [await new_customer(client) for _ in range(CUSTOMERS)]
            async with asyncio.timeout(LOAD_TIMEOUT_S + 10):
                await asyncio.gather(
                    _kill_when_acknowledged(first, customers, ACKED_BEFORE_KILL),
                    *(_chat(client, c, n, texts) for n, c in enumerate(customers)),
                )
    finally:
        await first.kill()
    assert first.process.returncode == -9
    acked = sum(s.acked for c in customers for s in c.sent)
    in_flight = sum(len(c.unacknowledged()) for c in customers)
    assert acked >= ACKED_BEFORE_KILL
    assert in_flight > 0, "the kill came after the load: nothing was in flight"

    second = await start_service(
        database_url=database_url, workdir=tmp_path, config=config, log_name="restart.log"
    )
    try:
        async with httpx.AsyncClient(base_url=second.base_url, timeout=10, limits=limits) as client:
            resend = [post(client, c, s) for c in customers for s in c.unacknowledged()]
            async with asyncio.timeout(LOAD_TIMEOUT_S):
                await asyncio.gather(*resend)
    finally:
        await second.stop()

    assert list(itertools.chain.from_iterable(c.unacknowledged() for c in customers)) == []
    return customers


async def test_acknowledged_messages_survive_a_sigkill_exactly_once(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"

    customers = await _kill_restart_and_resend(database_url, tmp_path)

    assert await transcript_problems(database_url, customers) == []
    assert sqlite_integrity(database_url) == "ok"


@pytest.mark.postgres
async def test_acknowledged_messages_survive_a_sigkill_exactly_once_on_postgresql(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    customers = await _kill_restart_and_resend(postgres_schema_url, tmp_path)

    assert await transcript_problems(postgres_schema_url, customers) == []
