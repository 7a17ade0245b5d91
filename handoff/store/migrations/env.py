"""Alembic environment for Helpline's schema, for async engines.

Two ways in:

* :func:`handoff.store.migrate.migrate` (the service, on start) runs the upgrade on a
  connection it already holds and passes it in ``config.attributes["connection"]``.
* The ``alembic`` command line (developers writing a new revision) gets the URL from
  ``-x url=...``, the ``sqlalchemy.url`` option, or ``HELPLINE_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from handoff.store.engine import create_engine_for
from handoff.store.migrate import include_object
from handoff.store.tables import Base


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    config = context.config
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("HELPLINE_DATABASE_URL")
    )
    if not url:
        raise SystemExit("no database URL: pass -x url=... or set HELPLINE_DATABASE_URL")
    return url


async def _run_with_own_engine() -> None:
    engine = create_engine_for(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run() -> None:
    if context.is_offline_mode():
        context.configure(
            url=_url(),
            target_metadata=Base.metadata,
            include_object=include_object,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_with_own_engine())
    else:
        _configure_and_run(connection)


_run()
