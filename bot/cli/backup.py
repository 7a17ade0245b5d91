"""`helpline backup` and `helpline restore`: the deployment's database, to a file and back.

SQLite is copied with its online backup API while the service runs; PostgreSQL is backed
up with ``pg_dump`` and restored with ``pg_restore``, whose commands these print.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.cli.context import config_option, settings_for
from handoff.errors import StoreUnavailable
from handoff.store.backup import (
    BackupError,
    backup_sqlite,
    postgres_commands,
    restore_sqlite,
    sqlite_file,
)
from handoff.store.migrate import migrate

_path = click.argument("path", type=click.Path(dir_okay=False, path_type=Path))


@click.command()
@config_option
@_path
def backup(config: Path | None, path: Path) -> None:
    """Back the database up into a new file PATH; the service may keep running.

    On PostgreSQL this prints the pg_dump command to run instead.
    """
    url = settings_for(config).database_url
    try:
        if sqlite_file(url) is None:
            dump, _ = postgres_commands(url, path)
            raise click.ClickException(f"PostgreSQL is backed up with pg_dump:\n  {dump}")
        summary = backup_sqlite(url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {summary}")


@click.command()
@config_option
@_path
@click.option("--replace", is_flag=True, help="Overwrite a database that holds data already.")
def restore(config: Path | None, path: Path, replace: bool) -> None:
    """Restore the backup PATH as the deployment's database. Stop the service first.

    The restored database is then upgraded to this version's schema. On PostgreSQL this
    prints the pg_restore command to run instead.
    """
    url = settings_for(config).database_url
    try:
        if sqlite_file(url) is None:
            _, command = postgres_commands(url, path)
            raise click.ClickException(f"PostgreSQL is restored with pg_restore:\n  {command}")
        summary = restore_sqlite(path, url, replace=replace)
        asyncio.run(migrate(url))
    except (BackupError, StoreUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {summary}")
