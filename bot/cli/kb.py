"""`helpline kb`: staff tools for knowledge files."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from knowledge.article import KnowledgeBase
    from knowledge.embedding import ModelName
    from knowledge.evaluation import Decider
    from knowledge.index import Candidate, SearchIndex
    from knowledge.loader import Case


def build_index(knowledge: KnowledgeBase, model: ModelName) -> SearchIndex:
    """Index ``knowledge`` with the deployment's retrieval model (setting
    ``knowledge_model``), as the service does; exit 1 when that model is not installed."""
    from knowledge.embedding import load_embedding
    from knowledge.errors import OptionalModelMissing
    from knowledge.index import SearchIndex

    try:
        embedding = load_embedding(model)
    except OptionalModelMissing as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from exc
    return SearchIndex.build(knowledge, embedding=embedding)


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
        result = load_knowledge(directory, today=date.today())
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
    """Show which articles the bot would consider for QUESTION, with scores.

    Each candidate shows its score, the question or title that matched best and how
    similar that is, and some of the evidence the score weighs; the last line says what
    the bot would do with the default thresholds.
    """
    from bot.dialogue.answer_policy import Outcome, Thresholds, decide
    from bot.settings.model import load_settings
    from knowledge.language import detect_language
    from knowledge.loader import load_knowledge

    settings = load_settings()
    knowledge = load_knowledge(directory).knowledge
    index = build_index(knowledge, settings.knowledge_model)
    candidates = index.search(question, limit=limit, language=detect_language(question))
    for rank, candidate in enumerate(candidates, 1):
        article = candidate.article
        click.echo(f"{rank}. {candidate.score:.3f}  {article.id} [{article.lang}]  {article.title}")
        click.echo(f"   matched: {candidate.matched} (similarity {candidate.similarity:.3f})")
        evidence = candidate.evidence
        if evidence is not None:
            # Why the score is what it is (docs/knowledge.md, "Knowing what it does not know").
            click.echo(
                f"   evidence: words unknown {evidence.unknown:.2f}, used by the article "
                f"{evidence.coverage:.2f}, everyday-question similarity "
                f"{evidence.background:.2f}"
            )
    thresholds = Thresholds(
        answer=settings.answer_threshold, clarify_margin=settings.clarify_margin
    )
    decision = decide(candidates, thresholds)
    ids = ", ".join(c.article.id for c in decision.candidates)
    verdict = {
        Outcome.ANSWER: f"answer with {ids}",
        Outcome.CLARIFY: f"ask which one is meant: {ids}",
        Outcome.FALLBACK: "say it is unsure and offer a person",
    }[decision.outcome]
    click.echo(f"The bot would {verdict} (answer threshold {settings.answer_threshold}).")


def _answered_article(clarify_margin: float) -> Decider:
    """The bot's decision rule as an evaluation decider: only an answer answers."""
    from bot.dialogue.answer_policy import Outcome, Thresholds, decide

    def answered(candidates: Sequence[Candidate], threshold: float) -> str | None:
        decision = decide(candidates, Thresholds(answer=threshold, clarify_margin=clarify_margin))
        if decision.outcome is Outcome.ANSWER:
            return decision.candidates[0].article.id
        return None

    return answered


def _load_for_evaluation(
    directory: Path, cases_file: Path, model: ModelName
) -> tuple[SearchIndex, list[Case], float]:
    """Load and index the knowledge (timed) and read the cases; exit 1 on file errors."""
    from knowledge.errors import KnowledgeLoadError
    from knowledge.loader import load_cases, load_knowledge

    try:
        start = time.perf_counter()
        knowledge = load_knowledge(directory).knowledge
        index = build_index(knowledge, model)
        build_s = time.perf_counter() - start
        cases = load_cases(cases_file, knowledge=knowledge)
    except KnowledgeLoadError as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from exc
    return index, cases, build_s


def _calibrated(
    directory: Path, cases_file: Path, clarify_margin: float, model: ModelName
) -> float:
    from knowledge.evaluation import calibrate, run_cases

    index, cases, _ = _load_for_evaluation(directory, cases_file, model)
    return calibrate(run_cases(index, cases), _answered_article(clarify_margin))


_KNOWLEDGE_OPTION = click.option(
    "--knowledge",
    "directory",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The knowledge folder.",
)
_CASES_OPTION = click.option(
    "--cases",
    "cases_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A CSV file with the header text,expected (an article id or 'handoff').",
)


@kb.command("eval")
@_KNOWLEDGE_OPTION
@_CASES_OPTION
@click.option(
    "--calibrate",
    "calibration_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Fit the answer threshold on these cases first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def kb_eval(
    directory: Path, cases_file: Path, calibration_file: Path | None, as_json: bool
) -> None:
    """Measure how the bot decides the cases: accuracy, latency, build time, memory.

    Only an answer counts as answering; a question back ("did you mean ...?") offers a
    person, so it counts as a handoff.
    """
    from bot.settings.model import load_settings
    from knowledge.evaluation import peak_rss_mb, run_cases, score

    settings = load_settings()
    threshold = settings.answer_threshold
    if calibration_file is not None:
        threshold = _calibrated(
            directory, calibration_file, settings.clarify_margin, settings.knowledge_model
        )
    index, cases, build_s = _load_for_evaluation(directory, cases_file, settings.knowledge_model)
    trials = run_cases(index, cases)
    metrics = score(
        trials,
        _answered_article(settings.clarify_margin),
        threshold,
        build_s=build_s,
        peak_rss_mb=peak_rss_mb(),
    )
    if as_json:
        click.echo(json.dumps(metrics.as_dict()))
        return
    click.echo(f"answer threshold {threshold:.4f}, clarify margin {settings.clarify_margin}")
    for name, value in metrics.as_dict().items():
        click.echo(f"{name:18} {value:.4f}" if isinstance(value, float) else f"{name:18} {value}")


@kb.command("calibrate")
@_KNOWLEDGE_OPTION
@_CASES_OPTION
def kb_calibrate(directory: Path, cases_file: Path) -> None:
    """Fit the answer threshold to the cases and say how to use it."""
    from bot.settings.model import load_settings

    settings = load_settings()
    threshold = _calibrated(
        directory, cases_file, settings.clarify_margin, settings.knowledge_model
    )
    click.echo(f"answer threshold: {threshold:.4f} (now {settings.answer_threshold})")
    click.echo(f"To use it, put `answer_threshold = {threshold:.4f}` in the [helpline] table of")
    click.echo(f"helpline.toml, or set HELPLINE_ANSWER_THRESHOLD={threshold:.4f}.")
