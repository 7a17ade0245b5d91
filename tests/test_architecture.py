"""The import rules of docs/architecture.md, checked by parsing every module of the packages."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "knowledge", "handoff")

# Third-party frameworks stay in their adapter modules (paths relative to the root).
FRAMEWORK_HOMES: dict[str, tuple[str, ...]] = {
    "telegram": ("bot/channels/telegram/",),
    "rasa_sdk": ("bot/dialogue/actions.py",),
    "sanic": ("bot/dialogue/actions.py",),
    "fastapi": ("bot/channels/web/",),
    "starlette": ("bot/channels/web/",),
    "sse_starlette": ("bot/channels/web/",),
    "sqlalchemy": ("handoff/store/",),
    "alembic": ("handoff/store/",),
    "apscheduler": ("bot/desk/timer_runner.py",),
    "markdown_it": ("handoff/markup.py",),
    "aiosmtplib": ("bot/channels/mail.py",),
}

# Which of our packages each package may import.
ALLOWED_INTERNAL: dict[str, set[str]] = {
    "bot": {"bot", "handoff", "knowledge"},
    "handoff": {"handoff"},
    "knowledge": {"knowledge"},
}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


MODULES = _modules()


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_packages_have_modules() -> None:
    assert {p.relative_to(ROOT).parts[0] for p in MODULES} == set(PACKAGES)


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_internal_imports_follow_the_dependency_direction(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    ours = _imports(path) & set(PACKAGES)
    assert ours <= ALLOWED_INTERNAL[package], (
        f"{_rel(path)} imports {ours - ALLOWED_INTERNAL[package]}"
    )


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_frameworks_stay_in_their_adapters(path: Path) -> None:
    rel = _rel(path)
    misplaced = {
        name
        for name in _imports(path)
        if name in FRAMEWORK_HOMES and not rel.startswith(FRAMEWORK_HOMES[name])
    }
    assert not misplaced, f"{rel} imports {sorted(misplaced)} outside their adapter modules"


def _import_rules() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("## Import rules", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("name", list(FRAMEWORK_HOMES))
def test_each_framework_home_imports_it_and_the_document_names_it(name: str) -> None:
    """No stale home: each one imports the framework, and docs/architecture.md says so."""
    for home in FRAMEWORK_HOMES[name]:
        importers = [p for p in MODULES if _rel(p).startswith(home) and name in _imports(p)]
        assert importers, f"{home} is a home of {name} but does not import it"
        assert f"`{home}`" in _import_rules(), f"docs/architecture.md does not name {home}"


def test_the_document_names_the_store_modules_that_persist_a_model_module() -> None:
    """docs/architecture.md ("The store") lists the store modules named like one of handoff/."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = text.split("the\nstore's module has its name:", 1)[1].split("(`handoff/", 1)[0]
    named_alike = {p.name for p in (ROOT / "handoff" / "store").glob("*.py")} & {
        p.name for p in (ROOT / "handoff").glob("*.py")
    }
    assert set(re.findall(r"`(\w+\.py)`", listed)) == named_alike - {"__init__.py"}


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_grab_bag_modules(path: Path) -> None:
    assert path.stem not in {"utils", "helpers", "misc", "common"}


def test_a_misplaced_import_would_be_caught(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import sqlalchemy\nfrom telegram import Update\n", encoding="utf-8")
    assert _imports(module) == {"sqlalchemy", "telegram"}


def test_bot_is_grouped_by_concern() -> None:
    """``bot/`` holds subpackages (docs/architecture.md, "The parts"), not modules side by side."""
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py"))
    assert loose == ["__init__.py", "errors.py"]
    packages = sorted(p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists())
    assert packages == ["channels", "cli", "desk", "dialogue", "runtime", "service", "settings"]


# What refers to other files: the code, the tests, the benchmarks and the documents.
TEXTS = sorted(
    {
        *MODULES,
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.md"),
        *(ROOT / "docs").rglob("*.md"),
        *ROOT.glob("*.md"),
    }
    # This file's own examples of what the checks catch.
    - {Path(__file__).resolve()}
)
# A document named from the root (``docs/deployment.md``, ``README.md``), not as the end of a
# longer path (``examples/it-helpdesk/README.md`` is not the root's README).
CITED = re.compile(r"(?<![\w./-])(?:docs/[\w./-]+?\.md|[A-Z]+\.md)\b")
# A path that climbs: a Markdown link's target is relative to its document; any other path
# (in code, or in a command the documents show) to the root, where the commands run.
CLIMBING = re.compile(r"(?P<link>\]\()?(?<![\w.])(?P<path>(?:\.\./)+[^\s`'\"()\]]*)")
# Climbing paths that are data, not references: a hostile file name an upload must refuse.
NOT_REFERENCES = {("tests/handoff/test_attachments.py", "../../etc/passwd")}


def _cited_documents() -> set[str]:
    cited: set[str] = set()
    for path in TEXTS:
        cited.update(CITED.findall(path.read_text(encoding="utf-8")))
    return cited


def test_the_code_and_documents_cite_only_documents_of_the_repository() -> None:
    missing = sorted(name for name in _cited_documents() if not (ROOT / name).exists())
    assert not missing, f"cited but not in the repository: {missing}"


def _leaving(document: Path, text: str) -> list[str]:
    """The paths in ``text``, a file of the repository, that resolve outside it."""
    leaving = []
    for match in CLIMBING.finditer(text):
        if (_rel(document), match["path"]) in NOT_REFERENCES:
            continue
        base = document.parent if match["link"] else ROOT
        if not (base / match["path"]).resolve().is_relative_to(ROOT):
            leaving.append(f"{_rel(document)}: {match['path']}")
    return leaving


def test_nothing_refers_to_files_outside_the_repository() -> None:
    """Code and documents name files of the repository; outside data comes by an option."""
    leaving = [found for path in TEXTS for found in _leaving(path, path.read_text("utf-8"))]
    assert not leaving, f"paths leaving the repository: {leaving}"


@pytest.mark.parametrize(
    ("text", "leaving"),
    [
        ("see ``../shared/eval/README.md``", ["../shared/eval/README.md"]),
        ("python run.py --data ../shared/eval/banking77", ["../shared/eval/banking77"]),
        ("git worktree add ../before c907af6", ["../before"]),
        ("[the guide](../../guide.md)", ["../../guide.md"]),
        ("[the README](../README.md)", []),
        ('the API URL ends before the token (".../bot")', []),
    ],
    ids=[
        "cited-document",
        "data-option",
        "worktree",
        "link-above-root",
        "link-to-root",
        "ellipsis",
    ],
)
def test_a_path_leaving_the_repository_would_be_caught(text: str, leaving: list[str]) -> None:
    document = ROOT / "docs" / "knowledge.md"
    assert _leaving(document, text) == [f"docs/knowledge.md: {path}" for path in leaving]


def test_a_document_cited_at_the_end_of_a_longer_path_is_not_the_root_one() -> None:
    text = (
        "``../shared/eval/README.md``, examples/it-helpdesk/README.md, docs/knowledge.md, NOTES.md"
    )
    assert CITED.findall(text) == ["docs/knowledge.md", "NOTES.md"]


# The extras whose packages each folder may import, besides the dependencies.
EXTRAS: dict[str, tuple[str, ...]] = {
    # The optional retrieval model is imported only when a deployment chose it.
    **dict.fromkeys(PACKAGES, ("minilm",)),
    "tests": ("dev",),
    # The load benchmarks drive the service with the tests' clients; bench has the baselines.
    "benchmarks": ("dev", "bench"),
}


def _declared_distributions(extras: tuple[str, ...]) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(r).name) for r in requirements}


@pytest.mark.parametrize("folder", list(EXTRAS))
def test_every_third_party_import_is_declared(folder: str) -> None:
    """What the code imports is in pyproject's dependencies or the folder's extras, not
    there by accident (pulled in by another package)."""
    ours = {*PACKAGES, "tests", "benchmarks"}
    stdlib = sys.stdlib_module_names
    providers = importlib.metadata.packages_distributions()
    declared = _declared_distributions(EXTRAS[folder])
    undeclared = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path) - ours - stdlib:
            dists = {canonicalize_name(d) for d in providers.get(name, [name])}
            if not dists & declared:
                undeclared[name] = _rel(path)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
