"""`helpline privacy export` and `helpline privacy erase`: data-subject requests.

A customer is named by their number (``42``, as the console and exports show it) or by
their channel identity (``telegram:123456789``, or ``web:`` and the token the customer's
page keeps: the store has only its digest, which exports show).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from bot.cli.context import config_option, settings_for, with_store
from handoff.bearer import DIGEST_PREFIX, token_digest
from handoff.model import Customer
from handoff.printable import printable
from handoff.privacy import Erasure, to_json
from handoff.store.port import Store

T = TypeVar("T")

#: The largest customer number (ids are 64-bit in every database).
MAX_ID = 2**63 - 1

_config = config_option
_customer = click.argument("customer")


def _with_store(config: Path | None, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the deployment's store, run ``work`` on it, close it; errors become messages."""
    return with_store(settings_for(config), work)


async def find_customer(store: Store, spec: str) -> Customer:
    """The customer ``spec`` names: a customer number, or ``channel:external_id``.

    Raises:
        click.ClickException: nobody has that number or identity.
    """
    # ASCII digits only ("٣" is a digit to str.isdigit), and within the ids' 64 bits.
    if spec.isascii() and spec.isdigit():
        if len(spec) > len(str(MAX_ID)) or int(spec) > MAX_ID:
            raise click.ClickException(f"no customer {spec}")
        return await store.get_customer(int(spec))
    channel, colon, external_id = spec.partition(":")
    found = None
    if channel == "web" and not external_id.startswith(DIGEST_PREFIX):
        external_id = token_digest(external_id)
    if colon and channel and external_id:
        found = await store.find_customer(channel=channel, external_id=external_id)
    if found is None:
        raise click.ClickException(
            f"no customer {printable(spec)!r} "
            "(give a customer number or channel:id, e.g. telegram:1234)"
        )
    return found


def describe(customer: Customer) -> str:
    """How the commands name a customer: ``customer 42 (telegram:1001)``."""
    return f"customer {customer.id} ({customer.channel}:{customer.external_id})"


@click.group()
def privacy() -> None:
    """Answer data-subject requests: export or erase everything about a customer."""


@privacy.command("export")
@_config
@_customer
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON to this file instead of standard output.",
)
def privacy_export(config: Path | None, customer: str, output: Path | None) -> None:
    """Print everything stored about CUSTOMER as JSON.

    The customer, their conversations, every message (with edits), handoffs and feedback.
    """

    async def work(store: Store) -> str:
        found = await find_customer(store, customer)
        return to_json(await store.export_customer(found.id))

    # JSON reads \uXXXX as the same character: the escape loses nothing.
    document = printable(_with_store(config, work))
    if output is None:
        click.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")
        click.echo(f"wrote {output}")


@privacy.command("erase")
@_config
@_customer
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--actor", default="cli", show_default=True, help="Who asks, for the audit log.")
def privacy_erase(config: Path | None, customer: str, yes: bool, actor: str) -> None:
    """Erase CUSTOMER: identity, conversations, messages, handoffs, feedback, timers.

    This cannot be undone. The audit log records who erased which customer number and
    how much went, never what was said.
    """

    async def work(store: Store) -> Erasure | None:
        found = await find_customer(store, customer)
        if not yes and not click.confirm(
            f"Erase {describe(found)} and all their conversations for good?"
        ):
            return None
        return await store.erase_customer(found.id, actor=actor)

    erasure = _with_store(config, work)
    if erasure is None:
        raise click.ClickException("nothing erased")
    click.echo(f"erased customer {erasure.customer_id}: {erasure.summary()}")
    if erasure.telegram_topics:
        topics = ", ".join(str(topic) for topic in erasure.telegram_topics)
        click.echo(f"delete these forum topics in the Telegram staff group by hand: {topics}")
