"""Settings: file, environment and overrides, in that order of precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings.model import load_settings


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "deploy" / "helpline.toml"
    path.parent.mkdir()
    path.write_text(
        """
[helpline]
knowledge_dir = "kb"
port = 9000

[[helpline.teams]]
id = "it"
name = "IT support"

[[helpline.demo_agents]]
login = "mh-4711"
name = "Maria"
password = "demo"
teams = ["it"]
""",
        encoding="utf-8",
    )
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={}, search_config=False)
    assert settings.database_url == "sqlite+aiosqlite:///./helpline.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.knowledge_dir == Path("examples/it-helpdesk/knowledge")


def test_the_file_is_read_and_paths_are_relative_to_it(config: Path) -> None:
    settings = load_settings(environ={}, config_file=config)
    assert settings.port == 9000
    assert settings.knowledge_dir == (config.parent / "kb").resolve()
    assert settings.team_name("it") == "IT support"
    assert settings.demo_agents[0].teams == ("it",)


def test_the_environment_wins_over_the_file(config: Path) -> None:
    settings = load_settings(environ={"HELPLINE_PORT": "9100"}, config_file=config)
    assert settings.port == 9100


def test_overrides_win_over_the_environment(config: Path) -> None:
    settings = load_settings(environ={"HELPLINE_PORT": "9100"}, config_file=config, port=9200)
    assert settings.port == 9200


def test_helpline_config_names_the_file(config: Path) -> None:
    settings = load_settings(environ={"HELPLINE_CONFIG": str(config)})
    assert settings.port == 9000


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={}, search_config=False)
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        ({"HELPLINE_PORT": "eighty"}, "port"),
        ({"HELPLINE_CONFIG": "/no/such/helpline.toml"}, "not a file"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ=environ)


def test_an_unknown_setting_in_the_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "helpline.toml"
    path.write_text("[helpline]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(environ={}, config_file=path)


def test_an_override_of_a_sentence_the_bot_does_not_say_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "helpline.toml"
    phrases = '[helpline.phrases.da]\nclosed_until = "Vi er væk: {when}."\n'
    path.write_text(phrases, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"phrases\.da\] overrides no sentence .*: closed_until"):
        load_settings(environ={}, config_file=path)


def test_an_override_of_a_known_sentence_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "helpline.toml"
    path.write_text('[helpline.phrases.en]\nhelpful_thanks = "Great!"\n', encoding="utf-8")
    settings = load_settings(environ={}, config_file=path)
    assert settings.phrases == {"en": {"helpful_thanks": "Great!"}}


def test_a_demo_agent_whose_login_contains_the_name_is_refused(tmp_path: Path) -> None:
    # As on the agents page: customers see the name, so the login must not contain it.
    path = tmp_path / "helpline.toml"
    demo = '[[helpline.demo_agents]]\nlogin = "maria.h"\nname = "Maria"\npassword = "x"\n'
    path.write_text(demo, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"demo agent 'maria\.h': Customers see this name"):
        load_settings(environ={}, config_file=path)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "helpline.toml"
    path.write_text("[helpline\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"helpline\.toml"):
        load_settings(environ={}, config_file=path)


def test_embed_origins_come_comma_separated_from_the_environment() -> None:
    environ = {"HELPLINE_WEB_EMBED_ORIGINS": "https://www.example.org, http://localhost:*"}
    settings = load_settings(environ=environ, search_config=False)
    assert settings.web_embed_origins == ("https://www.example.org", "http://localhost:*")


@pytest.mark.parametrize(
    "origin", ["www.example.org", "https://example.org; script-src *", "'unsafe-inline'"]
)
def test_an_embed_origin_that_is_no_origin_is_an_error(origin: str) -> None:
    with pytest.raises(ConfigError, match="web_embed_origins"):
        load_settings(environ={}, search_config=False, web_embed_origins=(origin,))


def test_trusted_proxies_come_comma_separated_from_the_environment() -> None:
    environ = {"HELPLINE_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24,::1"}
    settings = load_settings(environ=environ, search_config=False)
    assert settings.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/24", "::1/128")


def test_no_proxy_is_trusted_by_default() -> None:
    assert load_settings(environ={}, search_config=False).trusted_proxies == ()


@pytest.mark.parametrize("entry", ["*", "proxy.example.org", "10.0.0.300", "10.0.0.0/33"])
def test_a_trusted_proxy_must_be_an_address_or_network(entry: str) -> None:
    with pytest.raises(ConfigError, match=r"trusted_proxies.*is not an IP address or network"):
        load_settings(environ={}, search_config=False, trusted_proxies=(entry,))


def test_the_sample_found_by_falling_back_brings_no_demo_accounts(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A folder that looks like the repository: the sample file, and no helpline.toml.
    sample = tmp_path / "examples" / "it-helpdesk" / "helpline.toml"
    sample.parent.mkdir(parents=True)
    sample.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    fallen_back = load_settings(environ={})
    named = load_settings(environ={}, config_file=Path("examples/it-helpdesk/helpline.toml"))
    by_environment = load_settings(environ={"HELPLINE_CONFIG": str(sample)})
    assert (fallen_back.port, fallen_back.demo_agents) == (9000, ())
    assert [a.login for a in named.demo_agents] == ["mh-4711"]
    assert [a.login for a in by_environment.demo_agents] == ["mh-4711"]


def test_a_bare_folder_brings_no_demo_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).demo_agents == ()


MAIL = {"HELPLINE_SMTP_HOST": "smtp.example.org", "HELPLINE_SMTP_PORT": "465"}


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        (MAIL | {"HELPLINE_PUBLIC_URL": "https://help.example.org"}, "mail_from"),
        (MAIL | {"HELPLINE_MAIL_FROM": "support@example.org"}, "public_url"),
        (MAIL | {"HELPLINE_MAIL_FROM": "support", "HELPLINE_PUBLIC_URL": "https://h.org"}, "@"),
        (MAIL | {"HELPLINE_SMTP_SECURITY": "tls"}, "smtp_security"),
    ],
)
def test_mail_settings_that_cannot_send_are_refused_at_start(
    environ: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ=environ, search_config=False)


def test_mail_settings_from_the_environment() -> None:
    settings = load_settings(
        environ=MAIL
        | {
            "HELPLINE_SMTP_SECURITY": "ssl",
            "HELPLINE_MAIL_FROM": "support@example.org",
            "HELPLINE_PUBLIC_URL": "https://help.example.org",
            "HELPLINE_SMTP_PASSWORD": "mail-pass",
        },
        search_config=False,
    )
    assert (settings.smtp_port, settings.smtp_security, settings.mail_enabled) == (465, "ssl", True)
    assert "mail-pass" in settings.secrets()


def test_the_samples_security_team_stays_out_of_the_telegram_staff_group() -> None:
    sample = Path(__file__).resolve().parents[2] / "examples" / "it-helpdesk" / "helpline.toml"
    teams = load_settings(environ={}, config_file=sample).teams
    assert {team.id: team.telegram_staff_group for team in teams} == {
        "it-support": True,
        "accounts": True,
        "security": False,
    }
