"""Hot reload of the knowledge folder while the service runs.

Every half second a background task asks a :class:`~knowledge.watch.FolderWatcher` whether
the folder changed; if so the articles are loaded and indexed in a worker thread (so the
event loop keeps answering customers meanwhile) and the new snapshot replaces the old one
in one assignment. A broken edit changes nothing that customers see: the last good
knowledge keeps serving, the error is logged, and :attr:`KnowledgeReloader.status` shows it
to staff until a later edit fixes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from bot.dialogue.turns import KnowledgeSnapshot
from knowledge.article import Article
from knowledge.embedding import Embedding, ModelName, load_embedding
from knowledge.errors import KnowledgeFileError, KnowledgeLoadError, KnowledgeWarning
from knowledge.index import SearchIndex
from knowledge.loader import load_knowledge
from knowledge.watch import FolderWatcher, Reloaded

log = logging.getLogger(__name__)

#: How often the folder is looked at, in seconds. An edit is serving well within 2 s.
POLL_INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class KnowledgeStatus:
    """What staff see about the knowledge that is serving.

    Attributes:
        directory: The knowledge folder.
        loaded_at: When the serving knowledge was loaded (aware UTC).
        articles: The number of article translations serving.
        warnings: Warnings of the serving knowledge, as ``file:line: warning: ...`` lines.
        failed_at: When the last reload failed, or ``None`` if the last attempt worked.
        problems: Why it failed, one ``file:line: message`` line per problem; empty when
            the last attempt worked.
    """

    directory: Path
    loaded_at: datetime
    articles: int
    warnings: tuple[str, ...] = ()
    failed_at: datetime | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the files on disk are what is serving (the last reload worked)."""
        return self.failed_at is None


@dataclass(frozen=True, slots=True)
class _Loaded:
    snapshot: KnowledgeSnapshot
    warnings: tuple[KnowledgeWarning, ...]
    errors: tuple[KnowledgeFileError, ...] = ()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KnowledgeReloader:
    """Loads the knowledge folder, then reloads it whenever it changes.

    Args:
        directory: The knowledge folder.
        today: The date ``review_by`` dates are checked against, read at each load.
        clock: The current aware UTC time, for the status.
        interval: Seconds between two looks at the folder.
        model: The retrieval model (setting ``knowledge_model``), loaded once at the first
            load.
    """

    def __init__(
        self,
        directory: Path,
        *,
        today: Callable[[], date] = date.today,
        clock: Callable[[], datetime] = _utc_now,
        interval: float = POLL_INTERVAL,
        model: ModelName = "wordllama",
    ) -> None:
        self._directory = directory
        self._today = today
        self._clock = clock
        self._interval = interval
        self._watcher = FolderWatcher(directory, self._load)
        self._status: KnowledgeStatus | None = None
        self._task: asyncio.Task[None] | None = None
        # The embedding model never changes between reloads; loading it once saves time.
        self._model: ModelName = model
        self._embedding: Embedding | None = None
        # The articles serving, by file: after the first load a broken file keeps its last
        # good version and breaks only itself (None: the first load, which must be whole).
        self._last_good: dict[Path, Article] | None = None

    @property
    def status(self) -> KnowledgeStatus:
        """The current load status.

        Raises:
            RuntimeError: :meth:`load` has not succeeded yet.
        """
        if self._status is None:
            raise RuntimeError("the knowledge has not been loaded yet")
        return self._status

    def load(self) -> KnowledgeSnapshot:
        """Load the folder for the first time (blocking; call before serving).

        Raises:
            KnowledgeError: the knowledge is broken; a service should not start on it.
        """
        outcome = self._watcher.check()
        if outcome is None:  # already loaded: the folder did not change since
            raise RuntimeError("the knowledge was loaded already")
        if not isinstance(outcome, Reloaded):
            raise outcome.error
        self._loaded(outcome.value)
        return outcome.value.snapshot

    def start(self, serve: Callable[[KnowledgeSnapshot], None]) -> None:
        """Start watching in the running event loop; ``serve`` receives each new snapshot."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(serve), name="knowledge-reload"
            )

    async def stop(self) -> None:
        """Stop watching (a reload in progress finishes in its thread and is dropped)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, serve: Callable[[KnowledgeSnapshot], None]) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                outcome = await asyncio.to_thread(self._watcher.check)
            except Exception as exc:
                # A bug or an I/O error must not end hot reload for the life of the process.
                log.exception("knowledge reload failed unexpectedly")
                self._failed(exc)
                continue
            if outcome is None:
                continue
            if isinstance(outcome, Reloaded):
                serve(outcome.value.snapshot)
                self._loaded(outcome.value)
            else:
                self._failed(outcome.error)

    def _load(self) -> _Loaded:
        # Runs in a worker thread: loading and indexing take long enough to stall the loop.
        result = load_knowledge(self._directory, today=self._today(), last_good=self._last_good)
        if self._embedding is None:
            self._embedding = load_embedding(self._model)
        # The new index serves at once; its article classifier trains in the background
        # (and stops if a later edit replaces the index first).
        index = SearchIndex.build(
            result.knowledge, embedding=self._embedding, training="background"
        )
        return _Loaded(
            KnowledgeSnapshot(result.knowledge, index),
            tuple(result.warnings),
            tuple(result.errors),
        )

    def _loaded(self, loaded: _Loaded) -> None:
        for warning in loaded.warnings:
            log.warning("knowledge: %s", warning)
        count = len(loaded.snapshot.knowledge)
        if self._status is not None:
            log.info("knowledge reloaded from %s: %d articles", self._directory, count)
        self._last_good = {article.path: article for article in loaded.snapshot.knowledge}
        now = self._clock()
        problems = tuple(_broken_file(error, self._last_good) for error in loaded.errors)
        if problems:
            log.error(
                "knowledge reloaded without the files it could not read:\n%s",
                "\n".join(problems),
            )
        self._status = KnowledgeStatus(
            directory=self._directory,
            loaded_at=now,
            articles=count,
            warnings=tuple(str(warning) for warning in loaded.warnings),
            failed_at=now if problems else None,
            problems=problems,
        )

    def _failed(self, error: Exception) -> None:
        problems = (
            tuple(str(problem) for problem in error.errors)
            if isinstance(error, KnowledgeLoadError)
            else (str(error),)
        )
        log.error(
            "knowledge reload failed; the last good knowledge keeps serving:\n%s",
            "\n".join(problems),
        )
        if self._status is not None:
            self._status = replace(self._status, failed_at=self._clock(), problems=problems)


def _broken_file(error: KnowledgeFileError, serving: dict[Path, Article]) -> str:
    """One broken file as staff read it: where, what is wrong, and what customers get
    meanwhile (its last good version, or nothing)."""
    meanwhile = (
        "its last good version keeps serving until it is fixed"
        if error.path in serving
        else "it is left out until it is fixed"
    )
    return f"{error}; {meanwhile}"
