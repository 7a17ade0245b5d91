"""Counting the database transactions a piece of work costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@contextmanager
def counted_transactions() -> Iterator[list[str]]:
    """The transactions begun on any engine of the process inside the block, by database.

    Only meaningful while nothing else in the process touches a database (no timers).
    """
    began: list[str] = []

    def on_begin(connection: Connection) -> None:
        began.append(connection.engine.dialect.name)

    event.listen(Engine, "begin", on_begin)
    try:
        yield began
    finally:
        event.remove(Engine, "begin", on_begin)
