"""Change notifications from the database, so every process learns what any process stored.

On PostgreSQL, triggers (migration ``0005_change_notify``) send ``NOTIFY helpline_changes``
when a conversation or a handoff is written, with the payload ``<schema> desk`` and, for a
conversation, ``<schema> customer:<id>`` (a new message moves its conversation's ``last_seq``,
so the conversation trigger also covers messages). PostgreSQL delivers a notification only
once its transaction committed, folds duplicates within one transaction, and sends it to
every listening connection, whichever process wrote. The schema in the payload keeps
several deployments sharing one database (or parallel test schemas) apart.

SQLite has no such thing; there one process serves everything and the runtime tells its
own feed directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "helpline_changes"
#: How long to wait before listening again after the connection was lost.
RECONNECT_S = 1.0


def libpq_dsn(url: str) -> str:
    """The libpq connection string of a ``postgresql+psycopg://`` SQLAlchemy URL.

    Written as ``key=value`` pairs, not as a URI: a URI renders the spaces of a query value
    as ``+``, which libpq does not decode, so ``options`` with several ``-c`` settings
    would reach the server as one wrong value.
    """
    parsed = make_url(url)
    query = {
        key: value if isinstance(value, str) else value[-1] for key, value in parsed.query.items()
    }
    return make_conninfo(
        "",
        host=parsed.host,
        port=parsed.port,
        dbname=parsed.database,
        user=parsed.username,
        password=parsed.password,
        **query,
    )


class ChangeListener:
    """One ``LISTEN`` connection per process, handing each change to ``on_change``.

    Args:
        url: the PostgreSQL URL of the store (its ``search_path`` option picks the schema).
        on_change: called with the payload's word (``desk``, ``customer:<id>``).
        on_gap: called after the connection was (re)made: changes in between were missed.
    """

    def __init__(
        self, url: str, *, on_change: Callable[[str], None], on_gap: Callable[[], None]
    ) -> None:
        self._dsn = libpq_dsn(url)
        self._on_change = on_change
        self._on_gap = on_gap
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Start listening; returns once the first ``LISTEN`` is in place."""
        self._task = asyncio.create_task(self._run(), name="database change listener")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if self._task.done():
            self._task.result()  # a failure to listen at start-up is the caller's to see

    async def close(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        first = True
        while True:
            try:
                await self._listen()
            except (psycopg.OperationalError, OSError) as exc:
                if first and not self._ready.is_set():
                    raise
                log.warning("lost the database change notifications (%s); listening again", exc)
            first = False
            await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as conn:
            schema = (await (await conn.execute("SELECT current_schema()")).fetchone() or ("",))[0]
            await conn.execute(f"LISTEN {CHANNEL}")
            if self._ready.is_set():
                self._on_gap()
            self._ready.set()
            prefix = f"{schema} "
            async for note in conn.notifies():
                if note.payload.startswith(prefix):
                    self._on_change(note.payload.removeprefix(prefix))
