"""The folder watcher: reload on change, not otherwise, and report broken loads."""

from __future__ import annotations

import os
from pathlib import Path

from knowledge.errors import KnowledgeLoadError
from knowledge.loader import LoadResult, load_knowledge
from knowledge.watch import FolderWatcher, Reloaded, ReloadFailed, fingerprint

GOOD = "---\ntitle: VPN\nquestions: [vpn]\n---\nConnect.\n"


def watcher(root: Path) -> FolderWatcher[LoadResult]:
    return FolderWatcher(root, lambda: load_knowledge(root))


def test_the_first_check_loads(tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text(GOOD, "utf-8")

    outcome = watcher(tmp_path).check()

    assert isinstance(outcome, Reloaded)
    assert len(outcome.value.knowledge) == 1


def test_an_unchanged_folder_is_not_loaded_again(tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text(GOOD, "utf-8")
    watching = watcher(tmp_path)
    watching.check()

    assert watching.check() is None


def test_a_rewrite_with_the_same_size_and_time_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "vpn.md"
    path.write_text(GOOD, "utf-8")
    stat = path.stat()
    watching = watcher(tmp_path)
    watching.check()

    path.write_text(GOOD.replace("Connect.", "Reboot!!"), "utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    outcome = watching.check()

    assert isinstance(outcome, Reloaded)
    assert outcome.value.knowledge.articles[0].answer == "Reboot!!"


def test_a_broken_folder_is_reported_once_until_it_changes(tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text("---\ntitle: VPN\n---\nx\n", "utf-8")
    watching = watcher(tmp_path)

    first, second = watching.check(), watching.check()

    assert isinstance(first, ReloadFailed)
    assert isinstance(first.error, KnowledgeLoadError)
    assert second is None


def test_hidden_files_do_not_change_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "vpn.md").write_text(GOOD, "utf-8")
    before = fingerprint(tmp_path)

    (tmp_path / ".vpn.md.swp").write_text("editor state", "utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "index").write_text("x", "utf-8")

    assert fingerprint(tmp_path) == before


def test_a_missing_folder_has_an_empty_fingerprint(tmp_path: Path) -> None:
    assert fingerprint(tmp_path / "nope") == frozenset()
