"""`helpline backup` and `helpline restore` as an operator runs them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from handoff.store.sql import SqlStore


def _config(path: Path, database: Path) -> Path:
    path.write_text(
        f'[helpline]\ndatabase_url = "sqlite+aiosqlite:///{database}"\n', encoding="utf-8"
    )
    return path


async def _add_agent(database: Path) -> None:
    store = await SqlStore.open(f"sqlite+aiosqlite:///{database}")
    await store.add_agent(login="maria", name="Maria", password_hash="x")
    await store.close()


def test_a_backup_restores_into_a_new_deployment(tmp_path: Path) -> None:
    asyncio.run(_add_agent(tmp_path / "live.db"))
    live = _config(tmp_path / "live.toml", tmp_path / "live.db")
    fresh = _config(tmp_path / "fresh.toml", tmp_path / "fresh.db")
    backup = CliRunner().invoke(main, ["backup", "--config", str(live), str(tmp_path / "b.db")])
    assert backup.exit_code == 0, backup.output
    assert "1 agent" in backup.output
    restore = CliRunner().invoke(main, ["restore", "--config", str(fresh), str(tmp_path / "b.db")])
    assert restore.exit_code == 0, restore.output
    assert "1 agent" in restore.output
    again = CliRunner().invoke(main, ["restore", "--config", str(fresh), str(tmp_path / "b.db")])
    assert again.exit_code == 1
    assert "--replace" in again.output


@pytest.mark.parametrize(("command", "tool"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_on_postgresql_the_commands_name_the_tool_to_run(
    tmp_path: Path, command: str, tool: str
) -> None:
    config = tmp_path / "helpline.toml"
    config.write_text(
        '[helpline]\ndatabase_url = "postgresql+psycopg://helpline:pw@db/desk"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, [command, "--config", str(config), "desk.dump"])
    assert result.exit_code == 1
    assert f"{tool} " in result.output
    assert "pw" not in result.output
