"""The Alembic migrations build exactly the schema of ``handoff.store.tables``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from handoff.store.engine import create_engine_for
from handoff.store.migrate import alembic_config, include_object, migrate
from handoff.store.tables import Base

TABLES = {
    "agent",
    "agent_avatar",
    "attachment",
    "audit_log",
    "conversation",
    "customer",
    "feedback",
    "handoff",
    "message",
    "notice",
    "reply_mail",
    "saved_reply",
    "timer",
    "web_token",
}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"include_object": include_object, "compare_type": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_migrate_creates_every_table_at_head(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine_for(database_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(_tables)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await engine.dispose()
    assert tables == TABLES | {"alembic_version"}
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_the_migrated_database_matches_the_metadata(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine_for(database_url)
    async with engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    await engine.dispose()
    assert differences == []


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    await migrate(database_url)
    await migrate(database_url)
    engine = create_engine_for(database_url)
    async with engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    await engine.dispose()
    assert differences == []


async def test_a_scheduler_job_table_is_left_alone(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine_for(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY)"))
    async with engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    await engine.dispose()
    assert differences == []


async def test_downgrade_removes_the_schema(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine_for(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade_to_base)
    async with engine.connect() as conn:
        tables = await conn.run_sync(_tables)
    await engine.dispose()
    assert tables == {"alembic_version"}


@pytest.mark.parametrize(
    ("name", "type_", "included"),
    [
        ("apscheduler_jobs", "table", False),
        ("conversation", "table", True),
        ("apscheduler_jobs", "index", True),
        ("next_run_time", "column", True),
    ],
)
def test_include_object_hides_only_foreign_tables(name: str, type_: str, included: bool) -> None:
    table = Base.metadata.tables["conversation"]
    assert include_object(table, name, type_, False, None) is included


async def test_processes_starting_together_migrate_once(database_url: str) -> None:
    await asyncio.gather(*(migrate(database_url) for _ in range(4)))
    engine = create_engine_for(database_url)
    async with engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    await engine.dispose()
    assert differences == []
