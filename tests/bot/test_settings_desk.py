"""The `[helpline.handoff]` and `[helpline.routing]` tables of the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings.model import load_settings


def test_the_policy_table_is_read(tmp_path: Path) -> None:
    settings = load_settings(
        environ={},
        config_file=_write(
            tmp_path,
            '[helpline.handoff]\nshouting = false\nalways_human_topics = ["payroll"]\n'
            '[helpline.routing]\ndefault_team = "it-support"\nlanguage_teams = { da = "dk" }\n',
        ),
    )
    assert (settings.handoff.shouting, settings.handoff.always_human_topics) == (
        False,
        ("payroll",),
    )
    assert (settings.routing.default_team, settings.routing.language_teams) == (
        "it-support",
        {"da": "dk"},
    )


@pytest.mark.parametrize(
    ("table", "fallbacks"),
    [("", 3), ("[helpline.handoff]\nfallbacks_in_a_row = 1\n", 1)],
)
def test_fallbacks_in_a_row_defaults_to_the_older_setting(
    tmp_path: Path, table: str, fallbacks: int
) -> None:
    settings = load_settings(environ={}, config_file=_write(tmp_path, table))
    assert settings.handoff_policy().fallbacks_in_a_row == fallbacks


def test_an_unknown_policy_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="handoff"):
        load_settings(environ={}, config_file=_write(tmp_path, "[helpline.handoff]\nshout = 1\n"))


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "helpline.toml"
    path.write_text("[helpline]\nfallbacks_before_handoff = 3\n" + body, encoding="utf-8")
    return path
