"""Fixtures shared by every test package.

``database_url`` gives a real, empty database twice: a SQLite file, and a PostgreSQL schema
of its own (``HELPLINE_TEST_DATABASE_URL``). Without a PostgreSQL server the PostgreSQL
half is skipped, unless ``HELPLINE_REQUIRE_POSTGRES=1`` (CI) turns that into a failure.

``migrated_sqlite`` puts a copy of a SQLite file that the migrations brought to the newest
schema once per session where a test's store is about to open: the store's own start-up
upgrade then finds it at head, as a restarted service does, instead of running every
revision again for each test. The migrations themselves are tested on empty databases.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from handoff.store.migrate import migrate
from tests.outage import Outage, postgres_outage, sqlite_outage

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The SQLAlchemy URL of the test PostgreSQL database."""
    return os.environ.get("HELPLINE_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)


def _libpq_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """A libpq conninfo for the test server, or skip (fail in CI) when it does not answer."""
    url = postgres_url()
    conninfo = _libpq_conninfo(url)
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL at {make_url(url)!r} does not answer: {exc}"
        if os.environ.get("HELPLINE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (HELPLINE_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    return conninfo


@pytest.fixture
def postgres_schema_url(postgres_admin: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema of their own, dropped afterwards.

    The schema is first on every connection's ``search_path`` (libpq ``options``), so
    tables, Alembic's version table and queries all land in it, and parallel or failed
    tests cannot see each other's rows.
    """
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield (
            make_url(postgres_url())
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file under ``tmp_path``, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    """An empty database (as ``database_url``) that the test can really cut off and restore."""
    if request.param == "sqlite":
        with sqlite_outage(tmp_path) as sqlite:
            yield sqlite
        return
    admin: str = request.getfixturevalue("postgres_admin")
    with postgres_outage(admin, postgres_url()) as postgres:
        yield postgres


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought from empty to the newest schema."""
    path = tmp_path_factory.mktemp("schema") / "helpline.db"
    # A thread of its own: a session fixture may be set up while a test's loop exists.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, migrate(f"sqlite+aiosqlite:///{path}")).result()
    return path


@pytest.fixture
def migrated_sqlite(sqlite_at_head: Path) -> Callable[[str], None]:
    """Copies the migrated SQLite file to a SQLite URL's path that holds no database yet;
    leaves any other URL (PostgreSQL, an existing file) alone."""

    def place(url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not parsed.database:
            return
        target = Path(parsed.database)
        if not target.exists():
            shutil.copyfile(sqlite_at_head, target)

    return place
