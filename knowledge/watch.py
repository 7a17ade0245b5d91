"""Noticing that a knowledge folder changed, and reloading it.

A :class:`FolderWatcher` compares a cheap fingerprint of the folder (every file's relative
path, size and modification time) with the one of its last load. When it differs, it calls
the loader it was given and reports what came of it: the new value, or the error. It keeps
no knowledge itself and knows nothing of the caller's loader, so the running service (which
swaps in a new search index) and a test (which just counts loads) share it.

Polling, not file-system events: it works the same on every platform, in containers and on
network mounts, and a fingerprint of a few hundred files takes about a millisecond.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from knowledge.errors import KnowledgeError

T = TypeVar("T")

#: (relative path, size in bytes, modification time in ns, inode change time in ns)
FileStamp = tuple[str, int, int, int]


def fingerprint(root: Path) -> frozenset[FileStamp]:
    """A value that changes when a file below ``root`` is added, removed or written.

    Hidden files and folders (names starting with ``.``) are left out, as the loader
    skips them: an editor's swap file does not trigger a reload.

    Args:
        root: The folder; a missing folder has an empty fingerprint.

    Returns:
        The stamps of every visible file.
    """
    stamps: set[FileStamp] = set()
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            path = Path(folder, name)
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted between listing and stat: the next look sees it gone
            relative = path.relative_to(root).as_posix()
            # The change time catches a rewrite that keeps size and modification time (an
            # editor that restores the time, or two writes within the clock's resolution).
            stamps.add((relative, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
    return frozenset(stamps)


@dataclass(frozen=True, slots=True)
class Reloaded(Generic[T]):
    """The folder changed and loaded cleanly.

    Attributes:
        value: What the loader returned.
    """

    value: T


@dataclass(frozen=True, slots=True)
class ReloadFailed:
    """The folder changed and the loader raised; the caller keeps what it had.

    Attributes:
        error: The loader's error (a :class:`~knowledge.errors.KnowledgeLoadError` lists
            every file and line).
    """

    error: KnowledgeError


class FolderWatcher(Generic[T]):
    """Reloads a folder when its fingerprint changes.

    Args:
        root: The folder to watch.
        load: Loads the folder; raises :class:`~knowledge.errors.KnowledgeError` when its
            content is broken. It runs in the thread that calls :meth:`check`.

    The first :meth:`check` always loads. Not thread-safe: call :meth:`check` from one
    place at a time.
    """

    def __init__(self, root: Path, load: Callable[[], T]) -> None:
        self._root = root
        self._load = load
        self._loaded: frozenset[FileStamp] | None = None

    @property
    def root(self) -> Path:
        """The watched folder."""
        return self._root

    def check(self) -> Reloaded[T] | ReloadFailed | None:
        """Load the folder if it changed since the last load (or attempt).

        A failed load is not retried until the folder changes again: a broken file is
        reported once, not every poll.

        Returns:
            ``None`` when nothing changed; otherwise the outcome of loading.
        """
        before = fingerprint(self._root)
        if before == self._loaded:
            return None
        # The fingerprint is taken before loading: a file written while the loader runs
        # changes the next fingerprint, so that edit is loaded on the next check.
        self._loaded = before
        try:
            return Reloaded(self._load())
        except KnowledgeError as exc:
            return ReloadFailed(exc)
