"""What every `helpline` command needs: the deployment's settings and, often, its store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from bot.errors import BotError
from bot.settings.model import Settings, load_settings
from handoff.errors import HandoffError, StoreUnavailable, cause_of
from handoff.store.engine import shown_url
from handoff.store.port import Store
from handoff.store.sql import SqlStore

T = TypeVar("T")

config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (default: $HELPLINE_CONFIG, ./helpline.toml, or the sample deployment).",
)


def settings_for(config: Path | None) -> Settings:
    """The deployment's settings; a bad file or value becomes a clear message, not a trace."""
    try:
        return load_settings(config_file=config)
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc


def database_unavailable(url: str, exc: StoreUnavailable) -> click.ClickException:
    """The one line an operator reads when the database at ``url`` is unavailable.

    It names the database (its password masked) and the driver's kind of error, never the
    driver's own text, which can carry values; ``helpline doctor`` shows that text.
    """
    return click.ClickException(
        f"the database is unavailable: {shown_url(url)} ({cause_of(exc)}); "
        "`helpline doctor` shows what it answered"
    )


def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the deployment's store, run ``work`` on it, close it; errors become messages."""

    async def run() -> T:
        store = await SqlStore.open(settings.database_url)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreUnavailable as exc:
        raise database_unavailable(settings.database_url, exc) from exc
    except (BotError, HandoffError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
