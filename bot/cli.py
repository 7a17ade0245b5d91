"""The `helpline` command line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from bot.errors import BotError
from bot.settings import Settings, load_settings

log = logging.getLogger("helpline")


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config_file=config)
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (default: $HELPLINE_CONFIG, ./helpline.toml, or the sample deployment).",
)


@click.group()
def main() -> None:
    """Helpline: curated answers, honest status notices and handoff to named people."""


@main.command()
@config_option
def run(config: Path | None) -> None:
    """Start the service: web chat, agent console and the bot."""
    from bot.server import serve

    settings = _settings(config)
    _logging(settings.log_level)
    asyncio.run(serve(settings))


@main.command("chat")
@config_option
def chat_command(config: Path | None) -> None:
    """Chat with the bot in this terminal (same runtime and database as the service)."""
    from bot.server import terminal_chat

    settings = _settings(config)
    _logging("WARNING")
    asyncio.run(terminal_chat(settings))


@main.command()
@config_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5055).")
def actions(config: Path | None, host: str | None, port: int | None) -> None:
    """Serve the bot's actions as a Rasa action server (POST /webhook)."""
    from bot.actions import serve_actions
    from bot.service import load_snapshot

    settings = _settings(config)
    _logging(settings.log_level)
    serve_actions(
        settings,
        load_snapshot(settings),
        host=host or settings.actions_host,
        port=settings.actions_port if port is None else port,
    )


@main.group()
def kb() -> None:
    """Work with knowledge files."""


@kb.command("check")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
def kb_check(directory: Path) -> None:
    """Check knowledge files; print errors and warnings, exit 1 on errors."""
    from knowledge.errors import KnowledgeLoadError
    from knowledge.loader import load_knowledge

    try:
        result = load_knowledge(directory)
    except KnowledgeLoadError as exc:
        for warning in exc.warnings:
            click.echo(f"warning: {warning}")
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"{len(exc.errors)} errors, {len(exc.warnings)} warnings", err=True)
        raise SystemExit(1) from exc
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"{len(result.knowledge)} articles, {len(result.warnings)} warnings, no errors")


@kb.command("ask")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("question")
@click.option("--limit", type=int, default=5, show_default=True)
def kb_ask(directory: Path, question: str, limit: int) -> None:
    """Show which articles the bot would consider for QUESTION, with scores."""
    from knowledge.index import SearchIndex
    from knowledge.loader import load_knowledge

    knowledge = load_knowledge(directory).knowledge
    for rank, candidate in enumerate(SearchIndex.build(knowledge).search(question, limit=limit), 1):
        article = candidate.article
        click.echo(f"{rank}. {candidate.score:.3f}  {article.id} [{article.lang}]  {article.title}")
        click.echo(f"   matched: {candidate.matched}")
