"""Fixtures: the fake Bot API served over HTTP, and a Telegram channel that talks to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.telegram.channel import TelegramChannel, build_channel
from bot.channels.telegram.limits import RateLimiter
from bot.runtime.core import Runtime
from bot.service.composition import Service, build_service
from bot.settings.model import Settings
from handoff.store.sql import SqlStore
from tests.bot.telegram.fake_bot_api import FakeBotApi, serving

CHAT = 777001
STAFF = -1001500  # the staff group
MARIA_TG = 9001  # Maria's Telegram user id, registered
JONAS_TG = 9002  # Jonas's Telegram user id (registered by the tests that need him)
STRANGER_TG = 9666  # someone in the staff group who is no agent
TEAMS = ("it-support", "accounts", "security")
#: The webhook's secret token and the public address Telegram posts to.
WEBHOOK_SECRET = "s3cret-token_value"
PUBLIC_URL = "https://helpline.example.org"


def fast_limiter() -> RateLimiter:
    """Telegram's limits scaled far up, so tests do not wait a second per message."""
    return RateLimiter(overall_per_s=10_000, chat_interval_s=0.0, group_per_min=10_000)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with serving(FakeBotApi()) as served:
        yield served
    assert served.unknown == [], f"the bot called methods the fake does not know: {served.unknown}"


@pytest.fixture
async def webhook_service(settings: Settings, fake: FakeBotApi) -> AsyncIterator[Service]:
    """The whole service with its Telegram channel in webhook mode, started."""
    configured = settings.model_copy(
        update={
            "telegram_token": fake.token,
            "telegram_api_url": fake.base_url,
            "telegram_mode": "webhook",
            "telegram_webhook_secret": WEBHOOK_SECRET,
            "public_url": PUBLIC_URL,
        }
    )
    built = await build_service(configured)
    assert built.telegram is not None
    await built.telegram.start()
    yield built
    await built.telegram.stop()
    await built.close()


ChannelFactory = Callable[..., Awaitable[TelegramChannel]]


@pytest.fixture
def poll_retry_s() -> float:
    """The channels' pause before polling again after an error (the service's default)."""
    return 5.0


@pytest.fixture
async def start_channel(
    fake: FakeBotApi, runtime: Runtime, store: SqlStore, poll_retry_s: float
) -> AsyncIterator[ChannelFactory]:
    """Starts channels in polling mode (1 s long polls), as a restarted process would;
    keyword arguments go to :func:`build_channel` (the flood limit and its clock)."""
    started: list[TelegramChannel] = []

    async def start(**options: Any) -> TelegramChannel:
        options.setdefault("poll_retry_s", poll_retry_s)
        built = build_channel(
            token=fake.token,
            api_url=fake.base_url,
            mode="polling",
            runtime=runtime,
            store=store,
            limiter=fast_limiter(),
            poll_timeout_s=1,
            **options,
        )
        await built.start()
        started.append(built)
        return built

    yield start
    for built in started:
        await built.stop()


@pytest.fixture
async def channel(start_channel: ChannelFactory) -> TelegramChannel:
    """A started channel in polling mode."""
    return await start_channel()


async def handled(fake: FakeBotApi, update_id: int, *, timeout_s: float = 10.0) -> None:
    """Wait until the poller confirmed ``update_id`` (it confirms only handled updates)."""
    async with asyncio.timeout(timeout_s):
        await fake.confirmed(update_id)


@pytest.fixture
def hidden_teams() -> tuple[str, ...]:
    """Teams kept out of the staff group (a test parametrizes it)."""
    return ()


@pytest.fixture
async def staff_channel(
    fake: FakeBotApi,
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    hidden_teams: tuple[str, ...],
    poll_retry_s: float,
) -> AsyncIterator[TelegramChannel]:
    """A started channel with the staff group; Maria is registered by her Telegram id."""
    await store.set_agent_telegram_user(agents[0], MARIA_TG)
    built = build_channel(
        token=fake.token,
        api_url=fake.base_url,
        mode="polling",
        runtime=runtime,
        store=store,
        staff_chat_id=STAFF,
        teams=TEAMS,
        hidden_teams=hidden_teams,
        limiter=fast_limiter(),
        poll_timeout_s=1,
        poll_retry_s=poll_retry_s,
    )
    await built.start()
    yield built
    await built.stop()
