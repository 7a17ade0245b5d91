"""Back up and restore a SQLite database while the service may be writing to it.

SQLite's online backup API copies the database page by page inside one read transaction:
in WAL mode writers go on meanwhile, and the copy is the database as it was when the copy
began, every committed transaction in it and none half. (Copying the file would miss what
is still in the ``-wal`` file, and could catch a checkpoint half done.)

PostgreSQL has its own tools for this, ``pg_dump`` and ``pg_restore`` (docs/deployment.md);
:func:`postgres_commands` names them for a given database.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from handoff.errors import HandoffError

#: The tables a summary counts, in the order it shows them.
COUNTED = ("conversation", "message", "agent", "notice", "timer")


class BackupError(HandoffError):
    """A backup or restore cannot be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds: its schema revision and the rows of the main tables."""

    path: Path
    revision: str
    rows: dict[str, int]

    def __str__(self) -> str:
        counts = ", ".join(f"{self.rows[t]} {t}" for t in COUNTED if t in self.rows)
        return f"{self.path}: schema {self.revision}; {counts}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for any other database.

    Raises:
        BackupError: an in-memory SQLite database (there is no file to copy).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if parsed.database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def backup_sqlite(url: str, target: Path) -> BackupSummary:
    """Copy the SQLite database at ``url`` into a new file ``target``.

    The service may keep running and writing; the copy is consistent (module docstring).
    It is written next to ``target`` first and renamed when complete and checked, so a
    failed backup never leaves a file that looks like one.

    Raises:
        BackupError: not a SQLite URL, no database there, ``target`` exists, or the copy
            fails its integrity check.
    """
    source = sqlite_file(url)
    if source is None:
        raise BackupError("not a SQLite database: back PostgreSQL up with pg_dump")
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        # A read-only URI: a backup never creates, migrates or changes the source.
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.execute("PRAGMA busy_timeout=30000")
            # One step (pages=-1): the whole copy in one read transaction, so writers that
            # commit meanwhile are not in it and do not make it start over.
            src.backup(dst)
            # The copy is one self-contained file, not a WAL database with a -wal beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        summary = inspect_sqlite(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(target, summary.revision, summary.rows)


def restore_sqlite(backup: Path, url: str, *, replace: bool = False) -> BackupSummary:
    """Put the backup ``backup`` in place of the SQLite database at ``url``.

    Stop the service first: its open connections would carry on with the old data.

    Args:
        backup: a file made by :func:`backup_sqlite`.
        url: the deployment's database URL.
        replace: overwrite a database that already holds conversations or agents.

    Raises:
        BackupError: not a SQLite URL, ``backup`` is not a sound Helpline backup, or the
            database holds data and ``replace`` is False.
    """
    target = sqlite_file(url)
    if target is None:
        raise BackupError("not a SQLite database: restore PostgreSQL with pg_restore")
    summary = inspect_sqlite(backup)
    if target.exists() and not replace:
        held = _held_rows(target)
        if held:
            raise BackupError(
                f"{target} holds data already ({held}); restore with --replace to overwrite it"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target, timeout=30)) as dst,
        ):
            # The backup API writes the whole target in one transaction, -wal included,
            # where copying the file over a WAL database would mix old and new pages.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {target} failed: {exc}") from exc
    return BackupSummary(target, summary.revision, summary.rows)


def inspect_sqlite(path: Path) -> BackupSummary:
    """Check a SQLite file's integrity and say what it holds.

    Raises:
        BackupError: not a file, not a SQLite database, damaged, or not Helpline's.
    """
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            check = db.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"{path} is damaged: {check[0][0]}")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise BackupError(f"{path} is not a Helpline database (no schema version)")
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
            rows = {
                # Table names come from COUNTED, never from input.
                table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in COUNTED
                if table in tables
            }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    return BackupSummary(path, revision[0] if revision else "none", rows)


def _held_rows(path: Path) -> str:
    try:
        rows = inspect_sqlite(path).rows
    except BackupError:
        return ""  # empty or not ours yet: nothing a restore would lose
    return ", ".join(f"{n} {t}" for t in ("conversation", "agent") if (n := rows.get(t, 0)))


def postgres_commands(url: str, path: Path) -> tuple[str, str]:
    """The ``pg_dump`` and ``pg_restore`` commands for the PostgreSQL database at ``url``.

    The password is left out (give it in ``~/.pgpass`` or ``PGPASSWORD``); a schema pinned
    with ``options=-csearch_path=...`` is dumped alone.
    """
    parsed = make_url(url)
    target = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
    ).render_as_string(hide_password=False)
    options = str(parsed.query.get("options", ""))
    schema = options.split("search_path=", 1)[1].split(",")[0] if "search_path=" in options else ""
    only = f" --schema={schema}" if schema else ""
    dump = f"pg_dump --format=custom{only} --file={path} '{target}'"
    restore = (
        f"pg_restore --no-owner --single-transaction --exit-on-error --dbname='{target}' {path}"
    )
    return dump, restore
