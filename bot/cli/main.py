"""The `helpline` command line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Literal

import click

from bot.cli.backup import backup, restore
from bot.cli.context import config_option, settings_for
from bot.cli.desk import agents, handoff, transcript
from bot.cli.doctor import doctor, report_lines
from bot.cli.kb import kb
from bot.cli.kb_staff import kb_gaps, kb_test
from bot.cli.notice import notice
from bot.cli.privacy import privacy
from bot.service.doctor import Report, diagnose
from bot.service.logs import configure_logging

log = logging.getLogger("helpline")


_settings = settings_for


def _logging(
    level: str, log_format: Literal["text", "json"] = "text", secrets: tuple[str, ...] = ()
) -> None:
    configure_logging(level, log_format, secrets=secrets)


@click.group()
def main() -> None:
    """Helpline: curated answers, honest status notices and handoff to named people."""


@main.command()
@config_option
def run(config: Path | None) -> None:
    """Start the service: web chat, agent console and the bot."""
    from bot.service.server import event_loop_factory, serve

    settings = _settings(config)
    # The checks of `helpline doctor`: errors stop the start, warnings are logged.
    report = asyncio.run(diagnose(config_file=config))
    if report.errors:
        lines = "\n  ".join(report_lines(Report(report.errors, report.settings)))
        raise click.ClickException(f"not starting; helpline doctor found:\n  {lines}")
    _logging(settings.log_level, settings.log_format, settings.secrets())
    for finding in report.findings:
        log.warning("doctor: %s: %s", finding.subject, finding.message)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(serve(settings))


@main.command("chat")
@config_option
def chat_command(config: Path | None) -> None:
    """Chat with the bot in this terminal (same runtime and database as the service)."""
    from bot.service.server import terminal_chat

    settings = _settings(config)
    _logging("WARNING", secrets=settings.secrets())
    asyncio.run(terminal_chat(settings))


@main.command()
@config_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5055).")
def actions(config: Path | None, host: str | None, port: int | None) -> None:
    """Serve the bot's actions as a Rasa action server (POST /webhook)."""
    from bot.dialogue.actions import serve_actions
    from bot.service.composition import load_snapshot

    settings = _settings(config)
    _logging(settings.log_level, settings.log_format, settings.secrets())
    serve_actions(
        settings,
        load_snapshot(settings),
        host=host or settings.actions_host,
        port=settings.actions_port if port is None else port,
    )


# Command groups, registered here in one place.
main.add_command(kb)
main.add_command(notice)
main.add_command(agents)
main.add_command(handoff)
main.add_command(transcript)
main.add_command(privacy)
main.add_command(backup)
main.add_command(restore)
main.add_command(doctor)
kb.add_command(kb_test)
kb.add_command(kb_gaps)
