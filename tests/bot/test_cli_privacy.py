"""`helpline privacy export` and `helpline privacy erase` on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from handoff.bearer import token_digest
from handoff.model import NewMessage, SenderKind
from handoff.store.sql import SqlStore

T = TypeVar("T")


@pytest.fixture
def config(tmp_path: Path, knowledge_dir: Path) -> Path:
    path = tmp_path / "helpline.toml"
    path.write_text(
        f'[helpline]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "desk.db"}"\n'
        f'knowledge_dir = "{knowledge_dir}"\n',
        encoding="utf-8",
    )
    return path


def helpline(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], input=input)


def _on_store(config: Path, work: Callable[[SqlStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = await SqlStore.open(f"sqlite+aiosqlite:///{config.parent / 'desk.db'}")
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


async def _tell(store: SqlStore) -> int:
    customer = await store.upsert_customer(channel="telegram", external_id="1001")
    conversation = await store.open_conversation(customer.id)
    await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text="my badge number is 7731")
    )
    return customer.id


async def _messages_left(store: SqlStore) -> int | None:
    found = await store.find_customer(channel="telegram", external_id="1001")
    return None if found is None else len(await store.customer_messages(found.id))


@pytest.fixture
def customer_id(config: Path) -> int:
    return _on_store(config, _tell)


def test_export_prints_the_customers_messages_as_json(config: Path, customer_id: int) -> None:
    result = helpline(config, "privacy", "export", "telegram:1001")
    assert result.exit_code == 0, result.output
    assert [m["text"] for m in json.loads(result.output)["messages"]] == ["my badge number is 7731"]


def test_export_finds_a_customer_by_number(config: Path, customer_id: int) -> None:
    result = helpline(config, "privacy", "export", str(customer_id))
    assert json.loads(result.output)["customer"]["external_id"] == "1001"


def test_erase_with_yes_erases_and_says_how_much(config: Path, customer_id: int) -> None:
    result = helpline(config, "privacy", "erase", "telegram:1001", "--yes")
    assert result.exit_code == 0, result.output
    assert f"erased customer {customer_id}: 1 conversations, 1 messages" in result.output
    assert _on_store(config, _messages_left) is None


def test_erase_asks_first_and_keeps_everything_on_no(config: Path, customer_id: int) -> None:
    result = helpline(config, "privacy", "erase", "telegram:1001", input="n\n")
    assert result.exit_code == 1
    assert _on_store(config, _messages_left) == 1


def test_an_unknown_customer_is_an_error(config: Path, customer_id: int) -> None:
    result = helpline(config, "privacy", "export", "telegram:999")
    assert result.exit_code == 1
    assert "no customer 'telegram:999'" in result.output


@pytest.mark.parametrize("spec", ["٣", "99999999999999999999999", "+3", "web:", "1" * 5000])
def test_a_customer_number_must_be_ascii_digits_within_range(
    config: Path, customer_id: int, spec: str
) -> None:
    result = helpline(config, "privacy", "export", spec)
    assert result.exit_code == 1
    assert "no customer" in result.output
    assert "Traceback" not in result.output


async def _web_customer_says(store: SqlStore) -> int:
    customer = await store.upsert_customer(
        channel="web", external_id=token_digest("the-pages-token")
    )
    conversation = await store.open_conversation(customer.id)
    await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text="look \x1b[2J\x9b31m here")
    )
    return customer.id


def test_a_web_customer_is_found_by_token_and_the_export_shows_neither_token_nor_escapes(
    config: Path,
) -> None:
    _on_store(config, _web_customer_says)
    result = helpline(config, "privacy", "export", "web:the-pages-token")
    assert result.exit_code == 0, result.output
    assert "the-pages-token" not in result.output
    assert "\x1b" not in result.output
    assert "\x9b" not in result.output
    # The escapes are JSON's own: the document still says exactly what was written.
    assert [m["text"] for m in json.loads(result.output)["messages"]] == [
        "look \x1b[2J\x9b31m here"
    ]
