"""`helpline kb`: staff tools for knowledge files."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
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
