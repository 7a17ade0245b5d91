"""`helpline kb test` and `helpline kb gaps`: is the knowledge right, and what is missing.

``kb test`` runs the regression cases beside the knowledge through the bot's own decision;
``kb gaps`` reads the deployment's database for what customers asked that the bot could
not answer, grouped so that the most frequent gap comes first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from bot.cli.context import database_unavailable, settings_for

if TYPE_CHECKING:
    from bot.dialogue.answer_policy import Thresholds
    from handoff.model import Message
    from knowledge.article import KnowledgeBase
    from knowledge.embedding import ModelName
    from knowledge.index import SearchIndex
    from knowledge.loader import Case

_CONFIG_OPTION = click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Settings file (default: $HELPLINE_CONFIG, ./helpline.toml, or the sample deployment).",
)
_TEXT_WIDTH = 50


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What the bot did with one regression case.

    Attributes:
        case: The case.
        got: The answered article id, ``handoff``, or ``clarify: a, b`` (a question back).
        score: The best candidate's score (0 when nothing matched).
        ok: Whether that is what the case expects; a question back offers a person, so
            it passes a case that expects ``handoff``.
    """

    case: Case
    got: str
    score: float
    ok: bool


def run_case(case: Case, index: SearchIndex, thresholds: Thresholds) -> CaseResult:
    """Decide one case as the bot would (asking for a person first, then the knowledge)."""
    from bot.dialogue.answer_policy import Outcome, asks_for_person, decide
    from knowledge.article import HANDOFF
    from knowledge.language import detect_language

    if asks_for_person(case.text):
        return CaseResult(case, HANDOFF, 0.0, case.expects_handoff)
    candidates = index.search(case.text, limit=5, language=detect_language(case.text))
    decision = decide(candidates, thresholds)
    score = candidates[0].score if candidates else 0.0
    if decision.outcome is Outcome.ANSWER:
        got = decision.candidates[0].article.id
        return CaseResult(case, got, score, got == case.expected)
    if decision.outcome is Outcome.CLARIFY:
        got = "clarify: " + ", ".join(c.article.id for c in decision.candidates)
        return CaseResult(case, got, score, case.expects_handoff)
    return CaseResult(case, HANDOFF, score, case.expects_handoff)


def _load(directory: Path, model: ModelName) -> tuple[KnowledgeBase, SearchIndex]:
    from bot.cli.kb import build_index
    from knowledge.errors import KnowledgeLoadError
    from knowledge.loader import load_knowledge

    try:
        knowledge = load_knowledge(directory).knowledge
    except KnowledgeLoadError as exc:
        _fail(exc.errors)
    return knowledge, build_index(knowledge, model)


def _fail(errors: Sequence[object]) -> NoReturn:
    for error in errors:
        click.echo(f"error: {error}", err=True)
    raise SystemExit(1)


_settings = settings_for


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("test")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@_CONFIG_OPTION
def kb_test(directory: Path, config: Path | None) -> None:
    """Run the regression cases (*.csv) beside the knowledge; exit 1 on any wrong outcome."""
    from bot.dialogue.answer_policy import Thresholds
    from knowledge.errors import KnowledgeLoadError
    from knowledge.loader import case_files, load_cases

    settings = _settings(config)
    thresholds = Thresholds(
        answer=settings.answer_threshold, clarify_margin=settings.clarify_margin
    )
    knowledge, index = _load(directory, settings.knowledge_model)
    cases: list[Case] = []
    errors: list[object] = []
    for path in case_files(directory):
        try:
            cases.extend(load_cases(path, knowledge=knowledge))
        except KnowledgeLoadError as exc:
            errors.extend(exc.errors)
    if errors:
        _fail(errors)
    if not cases:
        click.echo(f"no regression cases: add a CSV file (text,expected) to {directory}")
        raise SystemExit(1)
    results = [run_case(case, index, thresholds) for case in cases]
    width = max(len("expected"), *(len(r.case.expected) for r in results))
    click.echo(f"{'text':{_TEXT_WIDTH}}  {'expected':{width}}  {'score':>5}  ok  got")
    for result in results:
        text = _short(result.case.text, _TEXT_WIDTH)
        mark = "ok" if result.ok else "NO"
        click.echo(
            f"{text:{_TEXT_WIDTH}}  {result.case.expected:{width}}  {result.score:5.3f}  "
            f"{mark}  {result.got}"
        )
    failed = sum(not result.ok for result in results)
    click.echo(
        f"{len(results)} cases: {len(results) - failed} passed, {failed} failed "
        f"(answer threshold {settings.answer_threshold})"
    )
    if failed:
        raise SystemExit(1)


async def _unanswered(database_url: str, since: datetime | None, limit: int) -> list[Message]:
    from handoff.errors import HandoffError, StoreUnavailable
    from handoff.store.sql import SqlStore

    try:
        # No migration: a read-only report must not change the deployment's schema.
        store = await SqlStore.open(database_url, migrate=False)
        try:
            return await store.unanswered_messages(since=since, limit=limit)
        finally:
            await store.close()
    except StoreUnavailable as exc:
        raise database_unavailable(database_url, exc) from exc
    except HandoffError as exc:
        raise click.ClickException(f"cannot read the database: {exc}") from exc


@click.command("gaps")
@_CONFIG_OPTION
@click.option("--days", type=click.IntRange(min=1), default=None, help="Only the last N days.")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="How similar messages must be to share a group (default 0.4).",
)
def kb_gaps(config: Path | None, days: int | None, top: int, threshold: float | None) -> None:
    """List what customers asked that the bot could not answer, most frequent first."""
    from bot.desk.knowledge_gaps import gaps, unanswered_questions
    from knowledge.clusters import DEFAULT_THRESHOLD

    settings = _settings(config)
    since = None if days is None else datetime.now(UTC) - timedelta(days=days)
    messages = asyncio.run(_unanswered(settings.database_url, since, 5000))
    questions = unanswered_questions(messages)
    if not questions:
        click.echo("no unanswered questions" + ("" if days is None else f" in {days} days"))
        return
    groups = gaps(questions, threshold=DEFAULT_THRESHOLD if threshold is None else threshold)
    click.echo(f"{len(questions)} unanswered questions in {len(groups)} groups; most frequent:")
    click.echo(f"{'count':>5}  {'last asked':10}  example")
    for group in groups[:top]:
        last: date = group.last_asked.date()
        click.echo(f"{group.count:>5}  {last.isoformat():10}  {_short(group.example, 70)}")
    if len(groups) > top:
        click.echo(f"... and {len(groups) - top} more groups (--top to see more)")
