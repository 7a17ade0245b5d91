"""Load benchmark, Telegram channel: simulated customers in private chats of a fake Bot API.

The fake Telegram Bot API (``tests/bot/telegram/fake_bot_api.py``) runs in this process on
127.0.0.1; the service is a real ``helpline run`` process pointed at it
(``HELPLINE_TELEGRAM_API_URL``). Each simulated customer is one private chat: it writes a
question (an update the service fetches with its own ``getUpdates`` loop, or, with
``--telegram-mode webhook``, an update posted to the service's webhook route), and the
latency runs until the first ``sendMessage`` answering it reaches the fake. The customer
then waits until the update is fully handled (confirmed by the next ``getUpdates`` offset,
or the webhook's 200) before writing again, so a late second reply of one turn is never
taken for the first reply of the next.

The service keeps Telegram's published outbound limits (about 30 messages a second overall,
1 a second per chat; :mod:`bot.channels.telegram.limits`). The offered rate is therefore kept under
them: by default 25 customer messages a second, and at most one every 2 s per chat (an
answer can be two messages). Throughput on this channel is capped by Telegram, not by
Helpline; the limiter is left as deployed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx

from benchmarks.load.harness import ROOT, Refused, questions, start_service, write_config
from benchmarks.load.run import (
    DRAIN_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    Counters,
    Result,
    commit_of,
    fresh_database,
    measured,
    paced,
)
from handoff.model import CHANNEL_REF, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.fake_bot_api import FakeBotApi, serving

Mode = Literal["polling", "webhook"]
CHANNEL = "telegram"
# Telegram's limits as the service keeps them (bot/channels/telegram/limits.py): the default offer.
OVERALL_RATE = 25.0
PER_CHAT_RATE = 0.5
FIRST_CHAT_ID = 1_000_000
WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET = "load-benchmark-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_START_TIMEOUT_S = 30.0


def default_rate(level: int) -> float:
    """The offered customer messages a second for ``level`` chats, within Telegram's limits."""
    return min(OVERALL_RATE, PER_CHAT_RATE * level)


def label(mode: Mode) -> str:
    """How the table names the channel."""
    return f"Telegram ({mode})"


@dataclass
class Pushed:
    """One update a customer wrote, and what came of it."""

    update_id: int
    text: str
    latency_s: float | None = None  # to the first reply; None when none arrived
    # Telegram considers it delivered: confirmed by a getUpdates offset, or the webhook's
    # 200. Until then Telegram would deliver it again, so unstored it is not yet lost.
    acknowledged: bool = False


@dataclass
class ChatCustomer:
    """A Telegram customer: one private chat and the updates written in it."""

    chat_id: int
    pushed: list[Pushed] = field(default_factory=list)


class Intake:
    """How an update reaches the service: the fake's queue (polling) or the webhook."""

    def __init__(self, fake: FakeBotApi, mode: Mode, client: httpx.AsyncClient) -> None:
        self._fake = fake
        self._mode = mode
        self._client = client
        self._update_ids = itertools.count(1)

    async def write(self, chat_id: int, text: str) -> tuple[int, asyncio.Task[None]]:
        """Hand one customer message to the service.

        Returns:
            The update id, and a task that ends once the service has handled the update
            (raising ``Refused`` or an ``httpx`` error when the webhook refused it).
        """
        if self._mode == "polling":
            update_id = self._fake.push_text(chat_id, text)
            return update_id, asyncio.create_task(self._fake.confirmed(update_id))
        update_id = next(self._update_ids)
        body = {"update_id": update_id, "message": self._fake.message(chat_id, text=text)}
        return update_id, asyncio.create_task(self._post(body))

    async def _post(self, body: dict[str, object]) -> None:
        response = await self._client.post(
            WEBHOOK_PATH,
            content=json.dumps(body),
            headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
        )
        if response.status_code != 200:
            raise Refused(response.status_code)


async def chat_loop(
    fake: FakeBotApi,
    intake: Intake,
    customer: ChatCustomer,
    *,
    texts: Sequence[str],
    interval_s: float,
    asks_person: bool,
    until: float,
    rng: random.Random,
    counters: Counters,
) -> None:
    """Write paced messages until ``until`` (monotonic); each waits for its answer.

    A customer without an answer (and its confirmation) in ``REQUEST_TIMEOUT_S`` counts an
    error and writes no more.
    """

    async def send(text: str) -> bool:
        answers_before = len(fake.sent_to(customer.chat_id))
        started = time.perf_counter()
        update_id, handled = await intake.write(customer.chat_id, text)
        pushed = Pushed(update_id, text)
        customer.pushed.append(pushed)
        reply = asyncio.create_task(fake.nth_sent(customer.chat_id, answers_before))
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                await asyncio.wait({reply, handled}, return_when=asyncio.ALL_COMPLETED)
        except TimeoutError as exc:
            counters.failed(exc)
            gave_up = True
        else:
            gave_up = False
        for task in (reply, handled):
            task.cancel()
        if reply.done() and not reply.cancelled():
            pushed.latency_s = reply.result().received_at - started
        if handled.done() and not handled.cancelled():
            error = handled.exception()
            if error is None:
                pushed.acknowledged = True
            else:
                counters.failed(error if isinstance(error, Exception) else RuntimeError(error))
        # No answer in time: the customer leaves. A late reply could otherwise be taken
        # for the answer to their next message.
        return not gave_up

    await paced(
        send, texts=texts, interval_s=interval_s, asks_person=asks_person, until=until, rng=rng
    )


async def wait_for_polling(fake: FakeBotApi) -> None:
    """Until the service's poller asked for updates (it polls only with the lead).

    Raises:
        TimeoutError: no ``getUpdates`` came in time (on PostgreSQL, another process of
            the same database may hold the polling lead).
    """
    async with asyncio.timeout(POLL_START_TIMEOUT_S):
        # Start-up only: the fake's call log has no event, and 20 looks a second are cheap.
        while not fake.called("getUpdates"):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def drain(fake: FakeBotApi, customers: Sequence[ChatCustomer]) -> None:
    """Give the service up to ``DRAIN_TIMEOUT_S`` to confirm every pushed update
    (customers stop waiting after ``REQUEST_TIMEOUT_S``; the backlog is still handled),
    then mark what the offset confirmed as acknowledged."""
    pushed = [p for c in customers for p in c.pushed]
    if pushed:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await fake.confirmed(max(p.update_id for p in pushed))
    for p in pushed:
        p.acknowledged = p.update_id < fake.confirmed_offset


async def transcript_problems(
    database_url: str, fake: FakeBotApi, customers: Sequence[ChatCustomer]
) -> list[str]:
    """Every way the database and the fake disagree with what the customers wrote.

    For each chat: the customer is stored (channel "telegram", external id = chat id);
    every acknowledged update is stored exactly once as a customer message (external id
    ``telegram:<update id>``), an unacknowledged one at most once, and nothing else is;
    each acknowledged one has bot replies, and each of those reached the fake (its channel
    reference names a message the fake accepted); and the fake got no more messages than
    were stored. An unacknowledged update may lack its replies: Telegram sends it again,
    and the service then answers it (or sends the stored replies again).

    Returns:
        One line per problem; empty when nothing was lost or doubled.
    """
    problems: list[str] = []
    store = await SqlStore.open(database_url, migrate=False)
    try:
        for customer in customers:
            chat = customer.chat_id
            if not customer.pushed:
                continue
            stored = await store.find_customer(channel=CHANNEL, external_id=str(chat))
            if stored is None:
                if any(p.acknowledged for p in customer.pushed):
                    problems.append(f"chat {chat}: not stored")
                continue
            messages = await store.customer_messages(stored.id)
            inbound = [m for m in messages if m.sender is SenderKind.CUSTOMER]
            bot = [m for m in messages if m.sender is SenderKind.BOT]
            counts = Counter(m.external_id for m in inbound)
            pushed_ids = {f"{CHANNEL}:{p.update_id}": p for p in customer.pushed}
            for external_id, count in counts.items():
                if count != 1:
                    problems.append(f"chat {chat}: {external_id} stored {count} times")
                if external_id not in pushed_ids:
                    problems.append(f"chat {chat}: {external_id} was never pushed")
            replied = {m.reply_to for m in bot if m.reply_to is not None}
            by_external = {m.external_id: m for m in inbound}
            acknowledged: set[int] = set()
            for external_id, pushed in pushed_ids.items():
                message = by_external.get(external_id)
                if not pushed.acknowledged:
                    continue
                if message is None:
                    problems.append(f"chat {chat}: {external_id} lost")
                    continue
                acknowledged.add(message.id)
                if message.id not in replied:
                    problems.append(f"chat {chat}: {external_id} has no bot reply")
            received = fake.sent_to(chat)
            received_ids = {s.message_id for s in received}
            for m in bot:
                if m.reply_to not in acknowledged:
                    continue
                ref = m.meta.get(CHANNEL_REF)
                sent_id = ref.rpartition(":")[2] if isinstance(ref, str) else ""
                if not sent_id.isdigit() or int(sent_id) not in received_ids:
                    problems.append(f"chat {chat}: bot message {m.id} never reached Telegram")
            if len(received) > len(bot):
                problems.append(
                    f"chat {chat}: Telegram got {len(received)} messages, {len(bot)} stored"
                )
    finally:
        await store.close()
    return problems


async def run_level(
    *,
    database: str,
    level: int,
    duration_s: float,
    rate: float,
    person_share: float,
    workdir: Path,
    seed: int,
    mode: Mode = "polling",
    code: Path = ROOT,
) -> Result:
    """Run one level against a fresh service (running the source tree ``code``), database
    and fake Bot API; verify after."""
    rng = random.Random(seed)
    texts = questions()
    config = write_config(workdir, flood_messages=1_000_000)
    customers = [ChatCustomer(FIRST_CHAT_ID + number) for number in range(level)]
    async with fresh_database(database, workdir, level) as url, serving(FakeBotApi()) as fake:
        extra_env = {
            "HELPLINE_TELEGRAM_TOKEN": fake.token,
            "HELPLINE_TELEGRAM_API_URL": fake.base_url,
        }
        if mode == "webhook":
            extra_env |= {
                "HELPLINE_TELEGRAM_MODE": "webhook",
                "HELPLINE_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                # Only registered with the fake (setWebhook); updates are posted directly.
                "HELPLINE_PUBLIC_URL": "http://127.0.0.1",
            }
        service = await start_service(
            database_url=url,
            workdir=workdir,
            config=config,
            log_name=f"service-telegram-{level}.log",
            extra_env=extra_env,
            code=code,
        )
        counters = Counters()
        limits = httpx.Limits(max_connections=level + 10, max_keepalive_connections=level + 10)
        try:
            async with httpx.AsyncClient(
                base_url=service.base_url, timeout=REQUEST_TIMEOUT_S, limits=limits
            ) as client:
                if mode == "polling":
                    await wait_for_polling(fake)
                intake = Intake(fake, mode, client)
                persons = round(level * person_share)
                async with measured(service) as window:
                    async with asyncio.timeout(duration_s + DRAIN_TIMEOUT_S):
                        await asyncio.gather(
                            *(
                                chat_loop(
                                    fake,
                                    intake,
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
                if mode == "polling":
                    await drain(fake, customers)
        finally:
            load_average = os.getloadavg()[0]
            await service.stop()
            if counters.errors:
                print(f"  errors: {dict(counters.kinds)}", file=sys.stderr)
                print(f"  the service's log ends:\n{service.log_tail(5)}", file=sys.stderr)
        problems = await transcript_problems(url, fake, customers)
        unknown = list(fake.unknown)
    for problem in problems[:10]:
        print(f"  {problem}", file=sys.stderr)
    waiting = sum(not p.acknowledged for c in customers for p in c.pushed)
    if waiting:
        # Not lost: Telegram keeps unconfirmed updates and delivers them again.
        print(f"  {waiting} updates never confirmed (still queued at Telegram)", file=sys.stderr)
    if unknown:
        print(f"  the service called methods the fake does not know: {unknown}", file=sys.stderr)
    pushed = [p for c in customers for p in c.pushed]
    answered = [p.latency_s for p in pushed if p.latency_s is not None]
    return Result(
        database="SQLite" if database == "sqlite" else "PostgreSQL",
        conversations=level,
        offered=rate,
        sent=len(pushed),
        acked=len(answered),
        seconds=window.seconds,
        latencies_ms=tuple(s * 1000 for s in answered),
        errors=counters.errors + len(unknown),
        lost=len(problems),
        rss_mb=window.peak_rss_mb,
        cpu_percent=window.percent(window.server_cpu_s),
        client_cpu_percent=window.percent(window.client_cpu_s),
        load_average=load_average,
        channel=label(mode),
        code=commit_of(code),
    )
