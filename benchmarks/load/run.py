"""Load benchmark: simulated web chat customers against one ``helpline run`` process.

Usage (from the repository root)::

    python benchmarks/load/run.py [--database sqlite|postgresql+psycopg://...]
                                  [--levels 10,100,1000] [--duration 20] [--rate 500]
                                  [--person-share 0.1]
                                  [--channel web|telegram] [--telegram-mode polling|webhook]
                                  [--compare PATH] [--repeat N]

For each level a fresh database (a SQLite file, or a fresh schema of the PostgreSQL
database) and a fresh service process. Each of the ``level`` customers opens a
conversation, then sends questions from the sample knowledge's ``cases.csv`` (each
customer in an order of its own, no question twice before all were asked) at
``rate / level`` messages a second (waiting for each answer before the next, as a person
does); a ``--person-share`` of them ask for a person on their second message and stay
queued (no agent is online), so the bot keeps answering them. The service's flood limit is
lifted: a single conversation here sends far faster than a person types.

Latency is from sending a message to the response that carries the stored bot reply (the
chat API stores the message, decides, stores the replies and returns them). After the run
the database is checked: every acknowledged message is stored exactly once with the replies
the customer was shown ("lost" counts the failures). Resident memory is the service's peak
``VmRSS``, sampled every 0.5 s. The load generator runs in this process, on the same
machine, on aiohttp's client with keep-alive connections (about 0.1 ms of CPU a message;
httpx took 2.5-8 ms and was the bottleneck).

``--compare PATH`` runs each level also against the code of another checkout (a worktree
of an older commit), alternating with this tree's, ``--repeat`` times each: before and after
in one run, on the same machine load. Each side's service starts from its own tree; the
load generator, the sample knowledge and the installed dependencies are this tree's.

``--channel telegram`` drives customers in private chats of a fake Telegram Bot API instead,
at rates within Telegram's limits; see ``benchmarks/load/telegram.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load.harness import (
    ROOT,
    Refused,
    Sent,
    ServiceProcess,
    WebCustomer,
    new_customer,
    new_message,
    questions,
    start_service,
    write_config,
)
from benchmarks.load.verify import transcript_problems

PERSON = "can I talk to a person please"
REQUEST_TIMEOUT_S = 30.0
# Idle keep-alive connections are dropped before uvicorn's 5 s: a request sent on a
# connection just as the server closes it fails.
KEEPALIVE_S = 4.0
DRAIN_TIMEOUT_S = 60.0
WEB_RATE = 500.0


@dataclass(frozen=True)
class Result:
    """One level's figures."""

    database: str
    conversations: int
    offered: float
    sent: int
    acked: int
    seconds: float
    latencies_ms: tuple[float, ...]
    errors: int
    lost: int
    rss_mb: float
    cpu_percent: float
    load_average: float
    client_cpu_percent: float = 0.0  # the load generator's own CPU (it shares the machine)
    channel: str = "web"
    code: str = ""  # which source tree the service ran (its commit)

    @property
    def per_second(self) -> float:
        """Acknowledged customer messages a second."""
        return self.acked / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_message(self) -> float:
        """The service's CPU milliseconds per acknowledged message: less noisy than msg/s
        on a shared machine (0 without messages)."""
        return self.cpu_percent * 10 / self.per_second if self.per_second else 0.0

    def percentile(self, q: int) -> float:
        """The ``q``-th percentile latency in milliseconds (0 without data)."""
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]


HEADER = (
    "| database | conversations | offered msg/s | msg/s | p50 ms | p95 ms | p99 ms "
    "| errors | lost | server RSS MiB | server CPU % | server CPU ms/msg | client CPU % "
    "| load avg (1 min) | code |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def row(result: Result) -> str:
    """One table row (Markdown)."""
    return (
        f"| {result.database} | {result.conversations} | {result.offered:.0f} "
        f"| {result.per_second:.0f} | {result.percentile(50):.1f} | {result.percentile(95):.1f} "
        f"| {result.percentile(99):.1f} | {result.errors} | {result.lost} "
        f"| {result.rss_mb:.0f} | {result.cpu_percent:.0f} | {result.cpu_ms_per_message:.2f} "
        f"| {result.client_cpu_percent:.0f} "
        f"| {result.load_average:.2f} | {result.code} |"
    )


@asynccontextmanager
async def fresh_database(spec: str, workdir: Path, level: int) -> AsyncIterator[str]:
    """A new SQLite file under ``workdir``, or a fresh schema of a PostgreSQL database.

    The file of an earlier run of the level is removed first: it would hold that run's rows
    (and, with ``--compare``, the other side's schema). The last run's file stays to be read.
    """
    if spec == "sqlite":
        path = workdir / f"load-{level}.db"
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        yield f"sqlite+aiosqlite:///{path}"
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from handoff.store.changes import libpq_dsn

    url = make_url(spec)
    conninfo = libpq_dsn(spec)
    schema = f"load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    # The URL's own libpq options (if any) stay; the schema's search_path comes last.
    options = " ".join(
        o for o in (str(url.query.get("options", "")), f"-csearch_path={schema}") if o
    )
    try:
        yield url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


class Counters:
    """Errors seen by the customers (error statuses and failed connections)."""

    def __init__(self) -> None:
        self.errors = 0
        self.kinds: Counter[str] = Counter()

    def failed(self, exc: Exception) -> None:
        """Count one failed request, by the kind of failure."""
        self.errors += 1
        self.kinds[str(exc) if isinstance(exc, Refused) else type(exc).__name__] += 1


async def post(session: aiohttp.ClientSession, customer: WebCustomer, sent: Sent) -> None:
    """Send one message (``POST /api/chat/messages``) and record the acknowledgement and
    the bot's replies, as :func:`benchmarks.load.harness.post` does over httpx.

    Raises:
        Refused: an error status (the message stays unacknowledged).
        aiohttp.ClientError, TimeoutError: no answer at all (the message stays
            unacknowledged).
    """
    body = {"client_id": sent.client_id, "text": sent.text}
    started = time.perf_counter()
    async with session.post("/api/chat/messages", json=body, headers=customer.headers) as reply:
        payload = await reply.read()
    elapsed = time.perf_counter() - started
    if not 200 <= reply.status < 300:
        raise Refused(reply.status)
    messages = json.loads(payload)["messages"]
    sent.acked = True
    sent.latency_s = elapsed
    sent.reply_ids = tuple(m["id"] for m in messages if m["sender"] == "bot")


async def customer_loop(
    session: aiohttp.ClientSession,
    customer: WebCustomer,
    *,
    texts: Sequence[str],
    interval_s: float,
    asks_person: bool,
    until: float,
    rng: random.Random,
    counters: Counters,
) -> None:
    """Send paced messages until ``until`` (monotonic); each waits for its answer."""

    async def send(text: str) -> bool:
        try:
            await post(session, customer, new_message(customer, text))
        except (Refused, aiohttp.ClientError, TimeoutError) as exc:
            counters.failed(exc)
        return True

    await paced(
        send, texts=texts, interval_s=interval_s, asks_person=asks_person, until=until, rng=rng
    )


async def paced(
    send: Callable[[str], Awaitable[bool]],
    *,
    texts: Sequence[str],
    interval_s: float,
    asks_person: bool,
    until: float,
    rng: random.Random,
) -> None:
    """Pace one customer: ``send`` a question every ``interval_s`` (from a random start)
    until ``until`` (monotonic), or until ``send`` returns False. A sent message waits for
    its answer, so a slow answer delays the next one; the second asks for a person when
    ``asks_person``. A customer goes through ``texts`` in an order of its own and repeats a
    question only after asking them all: asking the same thing twice is a reason to hand
    the conversation to a person, and that would make most customers queue."""
    order = list(texts)
    rng.shuffle(order)
    next_at = time.monotonic() + rng.uniform(0, interval_s)
    turn = 0
    while True:
        now = time.monotonic()
        next_at = max(next_at, now)
        if next_at >= until:
            return
        await asyncio.sleep(next_at - now)
        if not await send(PERSON if asks_person and turn == 1 else order[turn % len(order)]):
            return
        next_at += interval_s
        turn += 1


async def sample_rss(
    services: Sequence[ServiceProcess], peak: list[float], stop: asyncio.Event
) -> None:
    """Keep the peak resident memory of the services (all together) in ``peak[0]`` until
    ``stop``."""
    while not stop.is_set():
        peak[0] = max(peak[0], sum(service.rss_mb() or 0.0 for service in services))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


@dataclass
class Window:
    """What :func:`measured` saw of the service while its block ran."""

    started: float  # time.monotonic() at the start
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0  # this process: the load generator
    peak_rss_mb: float = 0.0

    def percent(self, cpu_s: float) -> float:
        """CPU seconds as % of one core over the window."""
        return 100 * cpu_s / self.seconds if self.seconds else 0.0


@asynccontextmanager
async def measured(*services: ServiceProcess) -> AsyncIterator[Window]:
    """Measure the block: wall time, the CPU of the service processes (together) and of
    this process, their peak RSS (together)."""
    peak = [0.0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(services, peak, stop))
    window = Window(started=time.monotonic())
    before = [service.cpu_seconds() or 0.0 for service in services]
    client_before = time.process_time()
    try:
        yield window
    finally:
        window.seconds = time.monotonic() - window.started
        window.server_cpu_s = sum(
            (service.cpu_seconds() or start) - start
            for service, start in zip(services, before, strict=True)
        )
        window.client_cpu_s = time.process_time() - client_before
        stop.set()
        await sampler
        window.peak_rss_mb = peak[0]


async def run_level(
    *,
    database: str,
    level: int,
    duration_s: float,
    rate: float,
    person_share: float,
    workdir: Path,
    seed: int,
    processes: int = 1,
    code: Path = ROOT,
) -> Result:
    """Run one level against a fresh database and ``processes`` fresh service processes
    on it (customer ``i`` talks to process ``i % processes``); verify the transcript
    after."""
    rng = random.Random(seed)
    texts = questions()
    config = write_config(workdir, flood_messages=1_000_000)
    limits = httpx.Limits(max_connections=level + 10, max_keepalive_connections=level + 10)
    async with fresh_database(database, workdir, level) as url:
        services: list[ServiceProcess] = []
        counters = Counters()
        try:
            for number in range(processes):  # one after another: the first one migrates
                services.append(
                    await start_service(
                        database_url=url,
                        workdir=workdir,
                        config=config,
                        log_name=f"service-{level}-{number}.log",
                        code=code,
                    )
                )
            async with httpx.AsyncClient(
                base_url=services[0].base_url, timeout=REQUEST_TIMEOUT_S, limits=limits
            ) as client:
                opener = asyncio.Semaphore(50)

                async def open_one() -> WebCustomer | None:
                    async with opener:
                        try:
                            return await new_customer(client)
                        except httpx.HTTPError as exc:
                            counters.failed(exc)
                            return None

                opened = await asyncio.gather(*(open_one() for _ in range(level)))
            customers = [c for c in opened if c is not None]
            persons = round(level * person_share)
            sessions = [
                aiohttp.ClientSession(
                    base_url=service.base_url,
                    connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_S),
                    timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
                )
                for service in services
            ]
            async with AsyncExitStack() as stack:
                for session in sessions:
                    await stack.enter_async_context(session)
                window = await stack.enter_async_context(measured(*services))
                async with asyncio.timeout(duration_s + DRAIN_TIMEOUT_S):
                    await asyncio.gather(
                        *(
                            customer_loop(
                                sessions[number % processes],
                                customer,
                                texts=texts,
                                interval_s=level / rate,
                                asks_person=number < persons,
                                until=window.started + duration_s,
                                rng=random.Random(rng.random()),
                                counters=counters,
                            )
                            for number, customer in enumerate(customers)
                        )
                    )
        finally:
            load_average = os.getloadavg()[0]
            await asyncio.gather(*(service.stop() for service in services))
            if counters.errors:
                print(f"  errors: {dict(counters.kinds)}", file=sys.stderr)
                for service in services:
                    print(f"  the service's log ends:\n{service.log_tail(5)}", file=sys.stderr)
        problems = await transcript_problems(url, customers, acked_only=True)
    for problem in problems[:10]:
        print(f"  {problem}", file=sys.stderr)
    sent = [s for c in customers for s in c.sent]
    name = "SQLite" if database == "sqlite" else "PostgreSQL"
    return Result(
        database=name if processes == 1 else f"{name}, {processes} processes",
        conversations=level,
        offered=rate,
        sent=len(sent),
        acked=sum(s.acked for s in sent),
        seconds=window.seconds,
        latencies_ms=tuple(s.latency_s * 1000 for s in sent if s.latency_s is not None),
        errors=counters.errors,
        lost=len(problems),
        rss_mb=window.peak_rss_mb,
        cpu_percent=window.percent(window.server_cpu_s),
        client_cpu_percent=window.percent(window.client_cpu_s),
        load_average=load_average,
        code=commit_of(code),
    )


async def run_all(args: argparse.Namespace) -> list[Result]:
    """Every level, one after another, each printed as soon as it is done."""
    results = []
    with tempfile.TemporaryDirectory(prefix="helpline-load-") as directory:
        if args.channel == "telegram":
            from benchmarks.load import telegram

            print(f"Channel: {telegram.label(args.telegram_mode)}", flush=True)
        print(HEADER, flush=True)
        trees = [ROOT] if args.compare is None else [args.compare, ROOT]
        runs = [
            (level, code) for level in args.levels for _ in range(args.repeat) for code in trees
        ]
        for level, code in runs:
            if args.channel == "telegram":
                result = await telegram.run_level(
                    code=code,
                    database=args.database,
                    level=level,
                    duration_s=args.duration,
                    rate=args.rate or telegram.default_rate(level),
                    person_share=args.person_share,
                    workdir=Path(directory),
                    seed=args.seed,
                    mode=args.telegram_mode,
                )
            else:
                result = await run_level(
                    code=code,
                    database=args.database,
                    level=level,
                    duration_s=args.duration,
                    rate=args.rate or WEB_RATE,
                    person_share=args.person_share,
                    workdir=Path(directory),
                    seed=args.seed,
                    processes=args.processes,
                )
            print(row(result), flush=True)
            results.append(result)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument(
        "--levels",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[10, 100, 1000],
        help="concurrent conversations, comma-separated",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per level")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help=f"offered messages a second (web: {WEB_RATE:g}; telegram: 25, at most 0.5 a chat)",
    )
    parser.add_argument("--person-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--channel", choices=("web", "telegram"), default="web")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="service processes on the one database, each serving a share of the customers "
        "(web, PostgreSQL: the multi-process deployment of docs/deployment.md)",
    )
    parser.add_argument(
        "--telegram-mode",
        choices=("polling", "webhook"),
        default="polling",
        help="how updates reach the service (with --channel telegram)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout of the code (e.g. a worktree of the old commit): each level "
        "runs against it and this tree, alternating",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each level (per tree with --compare)"
    )
    args = parser.parse_args(argv)
    if args.compare is not None and not (args.compare / "bot" / "cli" / "main.py").is_file():
        parser.error(f"--compare {args.compare}: not a checkout of this code (no bot/cli/main.py)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes > 1 and (args.channel != "web" or args.database == "sqlite"):
        parser.error("several processes need the web channel and PostgreSQL (--database URL)")
    return args


def commit_of(tree: Path) -> str:
    """The short commit a source tree is checked out at (with "+" when it has changes)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(tree), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or tree.name
    return commit + ("+" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: Sequence[str] | None = None) -> list[Result]:
    """Run the benchmark and print the table."""
    with asyncio.Runner(loop_factory=_event_loop_factory()) as runner:
        return runner.run(run_all(parse_args(argv)))


def _event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    # The load generator runs on uvloop when installed, as the service does: it shares the
    # machine with the service, and the less it costs the more load it can offer.
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


if __name__ == "__main__":
    main()
