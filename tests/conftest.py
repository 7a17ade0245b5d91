"""Fixtures shared by every test package.

``database_url`` gives a real, empty database twice: a SQLite file, and a PostgreSQL schema
of its own (``HELPLINE_TEST_DATABASE_URL``). Without a PostgreSQL server the PostgreSQL
half is skipped, unless ``HELPLINE_REQUIRE_POSTGRES=1`` (CI) turns that into a failure.

``at_head`` fills an empty test database with a copy of a schema that the migrations brought
to the newest revision once per worker, where a test's store is about to open: a copy of the
SQLite file, or on PostgreSQL the ``pg_dump`` of the migrated schema (tables, indexes,
triggers, sequences and Alembic's version row) replayed into the test's schema. The store's
own start-up upgrade then finds it at head, as a restarted service does, instead of running
every revision again for each test. The migrations themselves are tested on empty databases.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from bot.service.collector import settle
from handoff.store.changes import libpq_dsn
from handoff.store.migrate import migrate
from tests.outage import Outage, postgres_outage, sqlite_outage
from tests.pg_urls import in_schema, schema_of, with_test_options

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# No cycle collection while the test modules and their libraries are imported (pytest
# imports this file before any other test file): imports build hundreds of thousands of
# objects that live as long as the worker, and the collector walked them all again and
# again, a dozen full collections of 0.1-0.2 s each per worker before the first test.
# pytest_collection turns it back on.
gc.disable()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """Once the test modules are imported, settle what the imports built, as the service
    does before it serves (:func:`bot.service.collector.settle`), and collect again: later
    collections walk only what the tests make. (pytest-xdist's controller collects nothing
    itself; it gets here at once.)"""
    try:
        return (yield)
    finally:
        settle()
        # The web tests build a service and an app each (a few hundred thousand
        # short-lived objects): at Python's default of 700 the young generations were
        # collected several thousand times per worker, and each tenth of those ran on into
        # a full collection (10 s of 70 s of a worker's web tests; 5 s at 5,000, for about
        # 50 MB more memory).
        gc.set_threshold(5_000, 10, 10)
        gc.enable()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked ``long`` first, then the others, most tests first; each module's tests
    stay together and in their order.

    ``make test`` runs pytest-xdist with ``--dist loadscope --no-loadscope-reorder``: each
    worker takes a whole module at a time, in this order. A long module taken last keeps
    one worker busy after the other has run out of work; taken first, the short modules
    even out the end.
    """
    modules: dict[Path, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.path, []).append(item)

    def order(tests: list[pytest.Item]) -> tuple[bool, int]:
        return (not any(t.get_closest_marker("long") for t in tests), -len(tests))

    items[:] = [item for tests in sorted(modules.values(), key=order) for item in tests]


def postgres_url() -> str:
    """The SQLAlchemy URL of the test PostgreSQL database, with the libpq options of every
    test connection (tests/pg_urls.py)."""
    return with_test_options(os.environ.get("HELPLINE_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL))


def _libpq_conninfo(url: str) -> str:
    return libpq_dsn(url)


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
    with _schema(postgres_admin, f"test_{uuid.uuid4().hex[:16]}") as url:
        yield url


@contextmanager
def _schema(admin: str, schema: str) -> Iterator[str]:
    """Create ``schema``, give the URL whose connections see only it, drop it afterwards."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield in_schema(postgres_url(), schema)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
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


def _migrate_in_a_thread(url: str) -> None:
    # A thread of its own: a session fixture may be set up while a test's loop exists.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, migrate(url)).result()


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought from empty to the newest schema."""
    path = tmp_path_factory.mktemp("schema") / "helpline.db"
    _migrate_in_a_thread(f"sqlite+aiosqlite:///{path}")
    return path


#: Stands for the schema's name in :func:`postgres_at_head`'s script.
SCHEMA_PLACEHOLDER = "helpline_schema_at_head_0a5c"


@pytest.fixture(scope="session")
def postgres_at_head(postgres_admin: str) -> str | None:
    """The SQL script of a PostgreSQL schema the migrations brought from empty to the newest
    revision, as ``pg_dump`` writes it (with the rows of Alembic's version table), its name
    replaced by :data:`SCHEMA_PLACEHOLDER`; ``None`` without ``pg_dump`` (each store then
    migrates its empty schema itself)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    schema = f"{SCHEMA_PLACEHOLDER}_{uuid.uuid4().hex[:8]}"
    with _schema(postgres_admin, schema) as url:
        _migrate_in_a_thread(url)
        dumped = subprocess.run(
            [
                pg_dump,
                f"--dbname={postgres_admin}",
                f"--schema={schema}",
                "--no-owner",
                "--no-privileges",
                "--inserts",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    statements = [
        line
        for line in dumped.splitlines()
        # psql's meta-commands (\restrict) are for psql; the test's schema exists already.
        if not line.startswith("\\") and line != f"CREATE SCHEMA {schema};"
    ]
    return "\n".join(statements).replace(schema, SCHEMA_PLACEHOLDER)


@pytest.fixture
def at_head(request: pytest.FixtureRequest, sqlite_at_head: Path) -> Callable[[str], None]:
    """Fills the empty database at a URL with a copy of the schema at head: the migrated
    SQLite file copied to a path that holds no database yet, or :func:`postgres_at_head`'s
    script replayed into a test schema that has no table yet. Leaves any other URL alone."""

    def place(url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and not Path(parsed.database).exists():
                shutil.copyfile(sqlite_at_head, parsed.database)
            return
        schema = schema_of(url)
        if parsed.get_backend_name() != "postgresql" or schema is None:
            return
        script: str | None = request.getfixturevalue("postgres_at_head")
        admin: str = request.getfixturevalue("postgres_admin")
        if script is None:
            return
        with psycopg.connect(admin) as conn:
            found = conn.execute(
                "SELECT r.rolname, count(c.oid) FROM pg_namespace n"
                " JOIN pg_roles r ON r.oid = n.nspowner"
                " LEFT JOIN pg_class c ON c.relnamespace = n.oid"
                " WHERE n.nspname = %s GROUP BY r.rolname",
                (schema,),
            ).fetchone()
            if found is not None and found[1] == 0:
                # As the schema's owner, who then owns the tables as if its store had
                # migrated them (the outage's role does); in one transaction, so that a
                # failed replay leaves the schema empty, not half made.
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(found[0])))
                conn.execute(script.replace(SCHEMA_PLACEHOLDER, schema))

    return place
