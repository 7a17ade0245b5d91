"""Bring a database to the newest schema, programmatically (the service does it on start)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import SchemaItem

from handoff.errors import StoreUnavailable
from handoff.store.engine import create_engine_for

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any constant works; it only has to be the same in every Helpline process.
_PG_MIGRATION_LOCK = 0x48_65_6C_70  # "Help"

#: Tables that live in our database but belong to someone else (APScheduler's job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(
    obj: SchemaItem,
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """Alembic filter: keep foreign tables out of autogenerate, which would drop them."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def alembic_config() -> Config:
    """An Alembic configuration built in code: no ``alembic.ini`` is needed at runtime."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to the newest revision.

    Args:
        url: an SQLAlchemy async database URL (see
            :func:`handoff.store.engine.create_engine_for`).

    Raises:
        StoreUnavailable: the database could not be reached or the upgrade failed.
    """
    engine = create_engine_for(url)
    try:
        await migrate_engine(engine)
    finally:
        await engine.dispose()


async def migrate_engine(engine: AsyncEngine) -> None:
    """Upgrade the database behind ``engine`` to the newest revision, in one transaction.

    Raises:
        StoreUnavailable: the database could not be reached or the upgrade failed.
    """
    try:
        # Several processes may start at once. On SQLite engine.begin() is BEGIN IMMEDIATE;
        # on PostgreSQL a transaction-scoped advisory lock does the same. The later process
        # then finds the schema at head. DDL is transactional on both databases.
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            await connection.run_sync(_upgrade)
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"cannot migrate the database: {exc}") from exc


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this version's migrations."""

    current: str | None  # None: no Helpline schema yet (start-up creates it)
    head: str
    known: bool  # ``current`` is one of this version's revisions (or None)

    @property
    def behind(self) -> bool:
        """Start-up will upgrade the schema."""
        return self.known and self.current != self.head


async def schema_status(url: str) -> SchemaStatus:
    """Connect to ``url`` and read its schema revision; change nothing.

    Raises:
        StoreUnavailable: the database could not be reached or read.
    """
    script = ScriptDirectory.from_config(alembic_config())
    engine = create_engine_for(url)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnavailable(f"cannot reach the database: {exc}") from exc
    finally:
        await engine.dispose()
    known = current is None or any(s.revision == current for s in script.walk_revisions())
    head = script.get_current_head()
    return SchemaStatus(current=current, head=head or "", known=known)


@functools.cache
def head_revision() -> str | None:
    """The newest revision of this version's migrations (read once per process: the files
    do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection) -> None:
    # A database at head (every start but the first after an upgrade) needs nothing from
    # Alembic, whose upgrade would load and compile every revision file again: 22 ms of
    # each store's opening, against 1 ms to read the version row.
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current == head_revision():
        return
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
