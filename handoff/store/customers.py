"""Customers on SQL: who writes to us, on which channel, and whether they can be reached.

A customer is found by their channel identity on every message, so the lookups are Core
units (see :mod:`handoff.store.core_units`); :func:`customer_for_message` is the customer
part of receiving a message (:func:`handoff.store.messages.receive`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import NotFound
from handoff.model import Customer
from handoff.store.base import SqlBase
from handoff.store.tables import Base, CustomerRow, customer_value

_customer = Base.metadata.tables[CustomerRow.__tablename__]

# The statements of the units, built once: a statement built per call costs more CPU to
# construct and to key for SQLAlchemy's compiled cache than to execute. Bound values are
# named so as not to clash with the column names SQLAlchemy reserves in INSERT and UPDATE.
_BY_IDENTITY = select(_customer).where(
    _customer.c.channel == bindparam("b_channel"),
    _customer.c.external_id == bindparam("b_external_id"),
)
_BY_IDENTITY_FOR_UPDATE = _BY_IDENTITY.with_for_update()
_BY_ID = select(_customer).where(_customer.c.id == bindparam("b_id"))
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update()
_NEW = insert(_customer).returning(*_customer.c)
_REACHABLE = (
    update(_customer)
    .where(_customer.c.id == bindparam("b_id"))
    .values(unreachable_at=None)
    .returning(*_customer.c)
)
_RENAME = (
    update(_customer)
    .where(_customer.c.id == bindparam("b_id"))
    .values(display_name=bindparam("b_display_name"))
    .returning(*_customer.c)
)


class CustomersSql(SqlBase):
    """The customer part of the SQL store."""

    async def upsert_customer(
        self,
        *,
        channel: str,
        external_id: str,
        display_name: str | None = None,
        language: str | None = None,
    ) -> Customer:
        """Return the customer with this channel identity, creating it when new."""

        async def work(session: AsyncSession) -> Customer:
            row = await session.scalar(
                select(CustomerRow).where(
                    CustomerRow.channel == channel, CustomerRow.external_id == external_id
                )
            )
            if row is None:
                row = CustomerRow(channel=channel, external_id=external_id)
                row.created_at = self._clock()
                session.add(row)
            if display_name is not None:
                row.display_name = display_name
            if language is not None:
                row.language = language
            await session.flush()
            return row.to_value()

        return await self._write_retrying(work)

    async def get_customer(self, customer_id: int) -> Customer:
        """Raises NotFound."""
        # Read to announce every assignment: a Core unit.
        return await self._units.read(functools.partial(get_customer, customer_id=customer_id))

    async def find_customer(self, *, channel: str, external_id: str) -> Customer | None:
        """The customer with this channel identity, or None."""
        return await self._units.read(
            functools.partial(find_customer, channel=channel, external_id=external_id)
        )

    async def set_unreachable(self, customer_id: int, unreachable: bool) -> None:
        """Flag (or clear) that the customer's channel refuses delivery. Raises NotFound."""
        async with self._tx(write=True) as session:
            updated = await session.scalar(
                update(CustomerRow)
                .where(CustomerRow.id == customer_id)
                .values(unreachable_at=self._clock() if unreachable else None)
                .returning(CustomerRow.id)
                .execution_options(synchronize_session=False)
            )
            if updated is None:
                raise NotFound("customer", customer_id)

    async def move_customer(self, customer_id: int, external_id: str) -> None:
        """Give the customer a new id on their channel (a Telegram chat migrated).

        Raises:
            NotFound: no such customer.
        """
        async with self._tx(write=True) as session:
            updated = await session.scalar(
                update(CustomerRow)
                .where(CustomerRow.id == customer_id)
                .values(external_id=external_id)
                .returning(CustomerRow.id)
                .execution_options(synchronize_session=False)
            )
            if updated is None:
                raise NotFound("customer", customer_id)


# Units ----------------------------------------------------------------------------------


def find_customer(connection: Connection, channel: str, external_id: str) -> Customer | None:
    """See :meth:`handoff.store.port.Store.find_customer`."""
    row = connection.execute(
        _BY_IDENTITY, {"b_channel": channel, "b_external_id": external_id}
    ).first()
    return None if row is None else customer_value(row)


def get_customer(connection: Connection, customer_id: int) -> Customer:
    """See :meth:`handoff.store.port.Store.get_customer`."""
    row = connection.execute(_BY_ID, {"b_id": customer_id}).first()
    if row is None:
        raise NotFound("customer", customer_id)
    return customer_value(row)


def customer_for_message(
    connection: Connection,
    *,
    now: datetime,
    channel: str,
    sender_id: str,
    display_name: str | None,
    create: bool = True,
) -> Row[Any]:
    """The sender's customer row, locked (PostgreSQL), created when new (unless not
    ``create``); a given ``display_name`` replaces the stored one, and a customer who writes
    is reachable again.

    Raises:
        NotFound: no such customer and not ``create`` (nothing written).
    """
    customer = connection.execute(
        _BY_IDENTITY_FOR_UPDATE, {"b_channel": channel, "b_external_id": sender_id}
    ).first()
    if customer is None:
        if not create:
            # The sender id may be a credential's digest: the error does not repeat it.
            raise NotFound("customer", channel)
        return connection.execute(
            _NEW,
            {
                "channel": channel,
                "external_id": sender_id,
                "display_name": display_name,
                "created_at": now,
            },
        ).one()
    if display_name is not None and customer.display_name != display_name:
        customer = connection.execute(
            _RENAME, {"b_id": customer.id, "b_display_name": display_name}
        ).one()
    if customer.unreachable_at is not None:
        # They write again, so they unblocked the bot.
        customer = connection.execute(_REACHABLE, {"b_id": customer.id}).one()
    return customer


def customer_row(connection: Connection, customer_id: int, *, lock: bool = False) -> Row[Any]:
    """The customer's row, locked with ``lock`` (PostgreSQL). Raises NotFound."""
    statement = _BY_ID_FOR_UPDATE if lock else _BY_ID
    row = connection.execute(statement, {"b_id": customer_id}).first()
    if row is None:
        raise NotFound("customer", customer_id)
    return row
