"""Streaming benchmark: what idle live views cost, and how fast a message reaches its stream.

Usage (from the repository root)::

    python benchmarks/streams/run.py [--database postgresql+psycopg://...|sqlite]
                                     [--customers 5000] [--consoles 50] [--idle 60]
                                     [--samples 200]

Two ``helpline run`` processes on one fresh database (a PostgreSQL schema; with ``sqlite``
only the reader runs, and the latency is measured within it). On the reader:
``--customers`` web chat customers each hold the customer event stream open
(``/api/chat/events``) and ``--consoles`` agents each hold the console's inbox stream
(``/console/api/events``). Nothing is said for ``--idle`` seconds; the reader's CPU time
over that window, divided by its length, is the idle cost (a share of one core).

Then ``--samples`` messages, one at a time, are posted by customers to the *other* process
(the writer); each one's latency is from sending the request to the moment the message
arrives on that customer's stream on the reader. Between processes only the database
carries the news (PostgreSQL ``NOTIFY`` to the reader's ``LISTEN``).

The streams are raw HTTP/1.1 connections read by tasks of this process (a small HTTP
client per stream would cost this process far more than the service); the service's
keep-alive comments (every 15 s) are read and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load.harness import ServiceProcess, start_service, write_config
from benchmarks.load.run import fresh_database
from handoff.passwords import hash_password
from handoff.store.sql import SqlStore

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
AGENT_PASSWORD = "stream-bench-secret"


@dataclass
class Stream:
    """One open event stream; messages whose text someone waits for are handed over."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    waiting: dict[str, asyncio.Future[tuple[float, float]]] = field(default_factory=dict)

    async def run(self) -> None:
        """Read events until the connection ends; resolve the waits of arriving texts."""
        event = ""
        while line := await self.reader.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith("event:"):
                event = text[6:].strip()
            elif text.startswith("data:") and event == "message" and self.waiting:
                data = json.loads(text[5:])
                future = self.waiting.pop(data.get("text", ""), None)
                if future is not None and not future.done():
                    # The message's own timestamp (set by the store as it wrote it, on the
                    # same machine's clock): how long after being stored it arrived here.
                    stored = datetime.fromisoformat(data["created_at"]).timestamp()
                    future.set_result((time.perf_counter(), time.time() - stored))
            elif not text:
                event = ""

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


async def open_stream(base_url: str, path: str, headers: dict[str, str]) -> Stream:
    """A GET of an event stream on a raw connection, once the 200 headers arrived."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"stream {path} refused: {head[:80]!r}")
    return Stream(reader, writer)


async def customer_stream(client: httpx.AsyncClient) -> tuple[str, Stream]:
    """A new web customer (token) with their event stream open.

    A kept-alive connection the busy service closed just as it was reused is tried again.
    """
    for attempt in range(3):
        try:
            return await _customer_stream(client)
        except httpx.TransportError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _customer_stream(client: httpx.AsyncClient) -> tuple[str, Stream]:
    token = (await client.post("/api/chat/session")).raise_for_status().json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    ticket = (await client.post("/api/chat/events/ticket", headers=auth)).raise_for_status()
    path = f"/api/chat/events?ticket={ticket.json()['ticket']}"
    return token, await open_stream(str(client.base_url), path, {})


async def console_stream(base_url: str, login: str) -> Stream:
    """An agent logged in through the form, with the console's inbox stream open."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        form = await client.get("/console/login")
        match = CSRF.search(form.text)
        if match is None:
            raise RuntimeError("no CSRF field on the login page")
        data = {"login": login, "password": AGENT_PASSWORD, "csrf": match.group(1)}
        response = await client.post("/console/login", data=data)
        if response.status_code != 303:
            raise RuntimeError(f"login of {login} refused: {response.status_code}")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return await open_stream(base_url, "/console/api/events?filter=all", {"Cookie": cookie})


async def add_agents(database_url: str, count: int) -> list[str]:
    """``count`` agents in the database (migrating it first); their logins."""
    store = await SqlStore.open(database_url, migrate=True)
    password_hash = hash_password(AGENT_PASSWORD)
    logins = [f"agent{n}" for n in range(count)]
    try:
        for login in logins:
            await store.add_agent(login=login, name=login.title(), password_hash=password_hash)
    finally:
        await store.close()
    return logins


async def gather_limited(limit: int, jobs: list[object]) -> list[object]:
    """Await coroutines at most ``limit`` at a time, in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: object) -> object:
        async with gate:
            return await job  # type: ignore[misc]

    return list(await asyncio.gather(*(one(job) for job in jobs)))


async def measure(args: argparse.Namespace) -> None:
    """Run both phases and print the table rows."""
    workdir = Path(tempfile.mkdtemp(prefix="helpline-streams-"))
    config = write_config(workdir, flood_messages=1_000_000)
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database(args.database, workdir, 0))
        logins = await add_agents(url, args.consoles)
        reader = await start_service(database_url=url, workdir=workdir, config=config)
        stack.push_async_callback(reader.stop)
        writer: ServiceProcess = reader
        if args.database != "sqlite":
            writer = await start_service(
                database_url=url, workdir=workdir, config=config, log_name="writer.log"
            )
            stack.push_async_callback(writer.stop)

        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=reader.base_url, timeout=60, limits=limits) as c:
            opened = await gather_limited(50, [customer_stream(c) for _ in range(args.customers)])
        customers = [item for item in opened if isinstance(item, tuple)]
        consoles = [await console_stream(reader.base_url, login) for login in logins]
        streams = [stream for _, stream in customers] + consoles
        tasks = [asyncio.create_task(stream.run()) for stream in streams]

        await asyncio.sleep(5)  # the streams' first reads settle
        cpu_before, started = reader.cpu_seconds() or 0.0, time.monotonic()
        await asyncio.sleep(args.idle)
        idle_share = ((reader.cpu_seconds() or 0.0) - cpu_before) / (time.monotonic() - started)
        rss = reader.rss_mb() or 0.0
        print(
            f"idle: {len(customers)} customer + {len(consoles)} console streams, "
            f"{100 * idle_share:.1f}% of a core, RSS {rss:.0f} MB",
            flush=True,
        )

        latencies = await latency(writer, customers[: min(20, len(customers))], args.samples)
        for task in tasks:
            task.cancel()
        for stream in streams:
            stream.close()

    from_send = sorted(sent for sent, _ in latencies)
    from_stored = sorted(stored for _, stored in latencies)
    where = "two processes, PostgreSQL" if args.database != "sqlite" else "one process, SQLite"
    print(
        "| streams (customers + consoles) | idle CPU (% of a core) | reader RSS (MB) "
        "| stored -> stream p50 / p99 (ms) | request -> stream p50 / p99 (ms) | samples "
        "| setup | load average |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {len(customers)} + {len(consoles)} | {100 * idle_share:.1f} | {rss:.0f} "
        f"| {_ms(from_stored, 0.5)} / {_ms(from_stored, 0.99)} "
        f"| {_ms(from_send, 0.5)} / {_ms(from_send, 0.99)} "
        f"| {len(latencies)} | {where} | {os.getloadavg()[0]:.2f} |"
    )


def _ms(ordered: list[float], share: float) -> str:
    """The ``share`` percentile of sorted seconds, in milliseconds (nearest rank)."""
    return f"{1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]:.0f}"


async def latency(
    writer: ServiceProcess, talkers: list[tuple[str, Stream]], samples: int
) -> list[tuple[float, float]]:
    """Post ``samples`` messages to the writer; for each, seconds from sending the request
    and from the message being stored until it reached its stream on the reader."""
    results: list[tuple[float, float]] = []
    async with httpx.AsyncClient(base_url=writer.base_url, timeout=60) as client:
        for n in range(samples):
            token, stream = talkers[n % len(talkers)]
            text = f"latency probe {n}"
            arrived: asyncio.Future[tuple[float, float]] = (
                asyncio.get_running_loop().create_future()
            )
            stream.waiting[text] = arrived
            sent = time.perf_counter()
            posting = asyncio.create_task(
                client.post(
                    "/api/chat/messages",
                    json={"client_id": _client_id(n), "text": text},
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            received, since_stored = await asyncio.wait_for(arrived, 30)
            results.append((received - sent, since_stored))
            (await posting).raise_for_status()
    return results


def _client_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default=os.environ.get("HELPLINE_BENCH_DATABASE_URL", "sqlite")
    )
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--consoles", type=int, default=50)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--samples", type=int, default=200)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
