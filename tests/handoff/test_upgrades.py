"""A database made by an earlier version upgrades to the newest schema with its data.

Each migration's data is in ``tests/handoff/migration_seeds.py``; a new migration adds its
own entry there.
"""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from handoff.store.engine import create_engine_for
from handoff.store.migrate import alembic_config, migrate
from handoff.store.sql import SqlStore
from tests.handoff.migration_seeds import SEEDS, Seed


def _revisions_oldest_first() -> list[str]:
    scripts = ScriptDirectory.from_config(alembic_config()).walk_revisions()
    return [script.revision for script in reversed(list(scripts))]


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def build_at(database_url: str, seeds: tuple[Seed, ...]) -> None:
    """Migrate step by step, writing each revision's rows right after it is applied."""
    engine = create_engine_for(database_url)
    try:
        for seed in seeds:
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_to, seed.revision)
                await connection.run_sync(seed.write)
    finally:
        await engine.dispose()


def test_every_migration_comes_with_data_to_upgrade() -> None:
    missing = "add a Seed for each new migration to tests/handoff/migration_seeds.py"
    assert [seed.revision for seed in SEEDS] == _revisions_oldest_first(), missing


async def test_the_first_schema_upgrades_to_the_newest_with_its_data(database_url: str) -> None:
    await build_at(database_url, SEEDS[:1])
    await migrate(database_url)
    store = await SqlStore.open(database_url)
    try:
        await SEEDS[0].check(store)
    finally:
        await store.close()


async def test_data_written_at_every_revision_survives_the_upgrade(database_url: str) -> None:
    await build_at(database_url, SEEDS)
    await migrate(database_url)
    store = await SqlStore.open(database_url)
    try:
        for seed in SEEDS:
            await seed.check(store)
    finally:
        await store.close()
