"""Settings: read once from a TOML file and the environment into one frozen object.

Precedence, highest first: keyword arguments, ``HELPLINE_*`` environment variables, the
``[helpline]`` table of the TOML file. Nothing is read at import time.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_CONFIG_FILES = (Path("helpline.toml"), Path("examples/it-helpdesk/helpline.toml"))


class Team(BaseModel):
    """A team of agents that handoffs are routed to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str


class DemoAgent(BaseModel):
    """An agent created on start when no agent exists yet (for trying Helpline out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    login: str
    name: str
    password: str
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    is_admin: bool = False


class Settings(BaseSettings):
    """Everything the service needs to know about its deployment."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./helpline.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    knowledge_dir: Path = Path("examples/it-helpdesk/knowledge")
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "da")
    teams: tuple[Team, ...] = ()
    demo_agents: tuple[DemoAgent, ...] = ()
    phrases: dict[str, dict[str, str]] = Field(default_factory=dict)
    answer_threshold: float = Field(default=0.45, ge=0.0, le=1.0)
    clarify_margin: float = Field(default=0.04, ge=0.0, le=1.0)
    fallbacks_before_handoff: int = Field(default=2, ge=1)
    max_message_chars: int = Field(default=4000, ge=1)
    secret_key: str | None = None
    actions_host: str = "127.0.0.1"
    actions_port: int = Field(default=5055, ge=0, le=65535)
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment is read by load_settings from an injected mapping, so the
        # object never reaches into os.environ behind the caller's back.
        return (init_settings,)

    def team_name(self, team_id: str | None) -> str | None:
        """The display name of a team, or None when the team is not configured."""
        for team in self.teams:
            if team.id == team_id:
                return team.name
        return None


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = document.get("helpline", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [helpline] must be a table")
    # Relative paths in the file are relative to the file, not to the working directory.
    if "knowledge_dir" in table:
        table["knowledge_dir"] = (path.parent / str(table["knowledge_dir"])).resolve()
    return table


def _find_config_file(environ: Mapping[str, str]) -> Path | None:
    named = environ.get("HELPLINE_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"HELPLINE_CONFIG names {path}, which is not a file")
        return path
    return next((p for p in DEFAULT_CONFIG_FILES if p.is_file()), None)


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings of one deployment.

    Args:
        environ: the environment to read ``HELPLINE_*`` variables from (default
            ``os.environ``).
        config_file: a TOML file; default ``HELPLINE_CONFIG``, else ``./helpline.toml``,
            else the sample deployment ``examples/it-helpdesk/helpline.toml``.
        **overrides: values that win over the file and the environment.

    Returns:
        The frozen settings.

    Raises:
        ConfigError: the file or a value is invalid; the message names it.
    """
    env = os.environ if environ is None else environ
    path = config_file if config_file is not None else _find_config_file(env)
    values: dict[str, Any] = _read_config_file(path) if path is not None else {}
    for name in Settings.model_fields:
        key = f"HELPLINE_{name.upper()}"
        if key in env:
            values[name] = env[key]
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings ({path or 'no file'}): {problems}") from exc
