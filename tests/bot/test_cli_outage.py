"""`helpline` commands against a database really cut off (tests/outage.py).

An operator reads one line that names the database (never its password) and says it is
unavailable; the command fails with a non-zero exit code and no traceback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from bot.cli.main import main
from handoff.store.engine import shown_url
from handoff.store.sql import SqlStore
from tests.outage import Outage

PASSWORD = "hunter2-not-for-the-log"


async def _at_head(url: str) -> None:
    store = await SqlStore.open(url, migrate=True)
    await store.close()


@pytest.fixture
def url(outage: Outage) -> str:
    """The outage's URL with a password in it (PostgreSQL's trust authentication ignores
    it; SQLite has none to show)."""
    parsed = make_url(outage.url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(password=PASSWORD)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def config(tmp_path: Path, knowledge_dir: Path, url: str) -> Path:
    path = tmp_path / "helpline.toml"
    path.write_text(
        f'[helpline]\ndatabase_url = "{url}"\nknowledge_dir = "{knowledge_dir}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["agents", "list"],
        ["notice", "list"],
        ["transcript", "export", "00000000-0000-0000-0000-000000000000"],
        ["kb", "gaps"],  # reads without migrating
    ],
    ids=" ".join,
)
def test_a_command_says_in_one_line_that_the_database_is_unavailable(
    config: Path, url: str, outage: Outage, command: list[str]
) -> None:
    asyncio.run(_at_head(url))  # the deployment's database exists; then it goes away
    outage.cut()
    try:
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
    finally:
        outage.restore()
    assert (result.exit_code, result.output.count("\n")) == (1, 1)
    assert result.output.startswith(f"Error: the database is unavailable: {shown_url(url)} (")
    assert isinstance(result.exception, SystemExit)  # click's own exit: nothing escaped
    assert PASSWORD not in result.output
