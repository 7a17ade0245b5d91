"""`helpline notice`: post, list and end status notices from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

import click

from bot.cli.context import config_option, settings_for, with_store
from bot.desk.notice_board import CHANNELS, end_notice, parse_when, post_notice
from handoff.model import Notice
from handoff.notices import Audience, notice_state
from handoff.office_hours import zone
from handoff.store.port import Store

_config = config_option
_NAMES = {"en": "English", "da": "Danish"}
_settings = settings_for
_with_store = with_store


def describe(notice: Notice, now: datetime, time_zone: str) -> str:
    """One line per notice: id, state, window (local time), audience and texts."""
    local = zone(time_zone)
    state = notice_state(notice, now).value
    until = "open end" if notice.ends_at is None else _clock(notice.ends_at, local)
    window = f"{_clock(notice.starts_at, local)} to {until}"
    texts = "  ".join(f"[{lang}] {text}" for lang, text in notice.texts.items())
    return f"#{notice.id} {state} {window} ({notice.audience or 'everyone'})  {texts}"


def _clock(moment: datetime, local: tzinfo) -> str:
    # With the zone's name: "2026-12-07 00:30 CET" is not misread as UTC (or as the 6th).
    shown = moment.astimezone(local)
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"


@click.group()
def notice() -> None:
    """Status notices customers see ("illness today: expect longer waits")."""


@notice.command("post")
@_config
@click.option("--text", "text", default="", help="The text in the default language.")
@click.option("--text-en", default="", help="The English text.")
@click.option("--text-da", default="", help="The Danish text.")
@click.option("--from", "starts", default="now", show_default=True, help="When it starts.")
@click.option("--until", "until", required=True, help="When it ends: 2h, 90m, 2026-03-02T17:00.")
@click.option("--team", default=None, help="Only for customers of this team.")
@click.option("--channel", type=click.Choice(CHANNELS), default=None, help="Only this channel.")
def notice_post(
    config: Path | None,
    text: str,
    text_en: str,
    text_da: str,
    starts: str,
    until: str,
    team: str | None,
    channel: str | None,
) -> None:
    """Post a notice. Texts may use {eta}, {position} and {next_open}.

    Times are "now", a duration from now (2h, 90m, 1d) or a date and time in the
    deployment's time zone (2026-03-02T17:00).
    """
    settings = _settings(config)
    if team is not None and settings.teams and settings.team_name(team) is None:
        raise click.ClickException(f"unknown team {team!r}")
    texts = {"en": text_en, "da": text_da}
    if text.strip() and not texts.get(settings.default_language, "").strip():
        texts[settings.default_language] = text  # an explicit --text-LANG wins
    now = datetime.now(UTC)
    local = zone(settings.time_zone)

    async def work(store: Store) -> Notice:
        starts_at = parse_when(starts, now=now, time_zone=local)
        return await post_notice(
            store,
            texts=texts,
            starts_at=starts_at,
            ends_at=parse_when(until, now=starts_at, time_zone=local),
            audience=Audience(team=team, channel=channel),
            actor="cli",
        )

    posted = _with_store(settings, work)
    click.echo(f"posted {describe(posted, now, settings.time_zone)}")
    for language, option in (("en", "--text-en"), ("da", "--text-da")):
        if not texts.get(language, "").strip():
            # Not an error: one language may be all a desk writes in. But staff should know
            # what those customers read.
            click.echo(
                f"note: no {_NAMES[language]} text: customers who write {_NAMES[language]} "
                f"read another language's ({option} gives them their own)"
            )


@notice.command("list")
@_config
@click.option("--all", "show_all", is_flag=True, help="Also notices that have ended.")
def notice_list(config: Path | None, show_all: bool) -> None:
    """List current and scheduled notices (with --all, ended ones too)."""
    settings = _settings(config)
    now = datetime.now(UTC)
    notices = _with_store(
        settings, lambda store: store.list_notices(since=None if show_all else now)
    )
    for item in notices:
        click.echo(describe(item, now, settings.time_zone))
    if not notices:
        click.echo("no notices")


@notice.command("end")
@_config
@click.argument("notice_id", type=int)
def notice_end(config: Path | None, notice_id: int) -> None:
    """End notice NOTICE_ID now."""
    settings = _settings(config)
    now = datetime.now(UTC)
    ended = _with_store(settings, lambda store: end_notice(store, notice_id, now=now, actor="cli"))
    click.echo(f"ended {describe(ended, now, settings.time_zone)}")
