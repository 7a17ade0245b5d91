"""`helpline agents`, `helpline handoff explain` and `helpline transcript export`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import click

from bot.cli.context import config_option, settings_for, with_store
from handoff.agents import format_working_hours, parse_working_hours
from handoff.card import HandoffCard, build_card
from handoff.display_names import DisplayNameRefused, check_display_name
from handoff.errors import NotFound
from handoff.export import stamp, to_html, to_json, to_markdown
from handoff.model import Agent
from handoff.office_hours import zone
from handoff.passwords import hash_password
from handoff.printable import printable
from handoff.reasons import describe_reason
from handoff.store.port import Store

T = TypeVar("T")

_config = config_option


def _with_store(config: Path | None, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the deployment's store, run ``work`` on it, close it; errors become messages."""
    return with_store(settings_for(config), work)


def _display_name(name: str, *, login: str) -> str:
    try:
        return check_display_name(name, login=login)
    except DisplayNameRefused as exc:
        raise click.ClickException(str(exc)) from exc


async def _agent(store: Store, login: str) -> Agent:
    found = await store.agent_credentials(login)
    if found is None:
        raise click.ClickException(f"no agent with login {login!r}")
    return found[0]


def _hours(specs: Sequence[str]) -> dict[str, tuple[str, ...]]:
    try:
        return parse_working_hours(specs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--hours") from exc


def _telegram_user(value: str) -> int | None:
    """A Telegram user id as typed (``none`` removes it)."""
    if value.strip().lower() == "none":
        return None
    digits = value.strip()
    # ASCII digits only ("٣" is a digit to str.isdigit), and no more than 64 bits hold.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or int(digits) < 1:
        raise click.BadParameter(
            f"{value!r} is not a Telegram user id", param_hint="--telegram-user"
        )
    return int(digits)


def _new_password() -> str:
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password must not be empty")
    return password


# helpline agents ----------------------------------------------------------------------


@click.group()
def agents() -> None:
    """Manage the people on the desk."""


@agents.command("add")
@_config
@click.argument("login")
@click.option(
    "--name",
    required=True,
    help="The name customers see, e.g. Maria (the login must not contain it).",
)
@click.option("--team", "teams", multiple=True, help="A team id (repeat for several).")
@click.option("--language", "languages", multiple=True, help="A language (repeat), e.g. da.")
@click.option("--capacity", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--hours", multiple=True, help="Working hours, e.g. mon-fri=09:00-17:00 (repeat).")
@click.option("--admin", is_flag=True, help="May administer the desk.")
def agents_add(
    config: Path | None,
    login: str,
    name: str,
    teams: tuple[str, ...],
    languages: tuple[str, ...],
    capacity: int,
    hours: tuple[str, ...],
    admin: bool,
) -> None:
    """Add an agent; the password is asked for twice."""
    name = _display_name(name, login=login)
    working_hours = _hours(hours)
    settings = settings_for(config)
    password_hash = hash_password(_new_password(), settings.password_hashing)

    async def work(store: Store) -> Agent:
        agent = await store.add_agent(
            login=login,
            name=name,
            password_hash=password_hash,
            teams=teams,
            languages=languages or ("en",),
            capacity=capacity,
            is_admin=admin,
        )
        if working_hours:
            agent = await store.update_agent(agent.id, working_hours=working_hours)
        return agent

    agent = with_store(settings, work)
    click.echo(f"added {agent.login} ({agent.name})")


@agents.command("list")
@_config
def agents_list(config: Path | None) -> None:
    """List the agents with their teams, capacity, presence and hours."""
    listed = _with_store(config, lambda store: store.list_agents())
    if not listed:
        click.echo("no agents")
        return
    for a in listed:
        state = a.presence.value if a.active else "deactivated"
        click.echo(
            f"{a.login}\t{a.name}\tteams={','.join(a.teams) or '-'}\t"
            f"languages={','.join(a.languages) or '-'}\tcapacity={a.capacity}\t{state}\t"
            f"{'admin' if a.is_admin else 'agent'}\thours={format_working_hours(a.working_hours)}"
        )


@agents.command("set")
@_config
@click.argument("login")
@click.option("--name", default=None, help="The name customers see.")
@click.option("--team", "teams", multiple=True, help="Replace the teams (repeat).")
@click.option("--language", "languages", multiple=True, help="Replace the languages (repeat).")
@click.option("--capacity", type=click.IntRange(min=1), default=None)
@click.option("--hours", multiple=True, help="Replace the working hours (repeat).")
@click.option("--admin/--no-admin", default=None)
@click.option("--active/--inactive", default=None, help="Deactivate instead of deleting.")
@click.option(
    "--telegram-user",
    default=None,
    metavar="ID",
    help="Their Telegram user id, for the staff group (none: remove it).",
)
def agents_set(
    config: Path | None,
    login: str,
    name: str | None,
    teams: tuple[str, ...],
    languages: tuple[str, ...],
    capacity: int | None,
    hours: tuple[str, ...],
    admin: bool | None,
    active: bool | None,
    telegram_user: str | None,
) -> None:
    """Change an agent's profile; options not given stay as they are."""
    working_hours = _hours(hours) if hours else None
    telegram_id = _telegram_user(telegram_user) if telegram_user is not None else None

    async def work(store: Store) -> Agent:
        agent = await _agent(store, login)
        shown = _display_name(name, login=agent.login) if name is not None else None
        if telegram_user is not None:
            await store.set_agent_telegram_user(agent.id, telegram_id)
        return await store.update_agent(
            agent.id,
            name=shown,
            teams=teams or None,
            languages=languages or None,
            capacity=capacity,
            working_hours=working_hours,
            is_admin=admin,
            active=active,
        )

    agent = _with_store(config, work)
    click.echo(f"updated {agent.login} ({agent.name})")


@agents.command("passwd")
@_config
@click.argument("login")
def agents_passwd(config: Path | None, login: str) -> None:
    """Set an agent's password (asked for twice)."""
    settings = settings_for(config)
    password_hash = hash_password(_new_password(), settings.password_hashing)

    async def work(store: Store) -> None:
        agent = await _agent(store, login)
        await store.set_password_hash(agent.id, password_hash)
        await store.audit(actor="cli", action="password_set", target=f"agent:{agent.id}")

    with_store(settings, work)
    click.echo(f"password changed for {login}")


# helpline handoff explain ---------------------------------------------------------------


@click.group()
def handoff() -> None:
    """Look into handoffs."""


def _conversation_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a conversation id") from exc


@handoff.command("explain")
@_config
@click.argument("conversation")
def handoff_explain(config: Path | None, conversation: str) -> None:
    """Print why a conversation was handed off, and what became of it."""
    conversation_id = _conversation_id(conversation)

    async def work(store: Store) -> list[str]:
        conv = await store.get_conversation(conversation_id)
        names = {a.id: a.name for a in await store.list_agents()}
        lines = [f"conversation {conv.id} ({conv.channel}, {conv.language or '?'}), {conv.state}"]
        handoffs = await store.handoffs(conversation_id)
        if not handoffs:
            lines.append("never handed off: the bot handled it alone")
        for h in handoffs:
            lines.append(f"{stamp(h.requested_at, local)} handed off: {h.reason.value}")
            lines.append(f"  why: {describe_reason(h.reason, h.detail)}")
            if h.summary:
                lines.append(f"  question: {h.summary}")
            lines.append(f"  team: {h.team or 'none'}")
            if h.claimed_at is not None and h.agent_id is not None:
                waited = int((h.claimed_at - h.requested_at).total_seconds())
                lines.append(f"  taken by {names.get(h.agent_id, h.agent_id)} after {waited} s")
            if h.resolved_at is not None:
                lines.append(f"  ended {stamp(h.resolved_at, local)}")
        return lines

    settings = settings_for(config)
    local = zone(settings.time_zone)
    click.echo(printable("\n".join(with_store(settings, work))))


# helpline transcript export -----------------------------------------------------------


@click.group()
def transcript() -> None:
    """Export transcripts."""


_FORMATS: dict[str, Callable[[HandoffCard, ZoneInfo], str]] = {
    "md": lambda card, local: to_markdown(card, time_zone=local),
    "json": lambda card, _: to_json(card),  # ISO times with their offset
    "html": lambda card, local: to_html(card, time_zone=local),
}


@transcript.command("export")
@_config
@click.argument("conversation")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(_FORMATS)), default="md", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def transcript_export(
    config: Path | None, conversation: str, fmt: str, output: Path | None
) -> None:
    """Export a conversation: the handoff card, then the full transcript."""
    conversation_id = _conversation_id(conversation)

    async def work(store: Store) -> str:
        try:
            conv = await store.get_conversation(conversation_id)
        except NotFound as exc:
            raise click.ClickException(f"no conversation {conversation_id}") from exc
        handoffs = await store.handoffs(conversation_id)
        card = build_card(
            conversation=conv,
            customer=await store.get_customer(conv.customer_id),
            handoff=handoffs[-1] if handoffs else None,
            transcript=await store.transcript(conversation_id),
            feedback=await store.feedback(conversation_id),
            now=datetime.now(UTC),
        )
        return _FORMATS[fmt](card, zone(settings.time_zone))

    settings = settings_for(config)
    # Escaped in files too: a file is printed with cat as often as it is opened.
    text = printable(with_store(settings, work))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
