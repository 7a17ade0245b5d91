"""`helpline doctor` on a healthy deployment and on a table of broken ones."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.service.doctor import Report, Severity, check_smtp, diagnose
from handoff.store.sql import SqlStore
from tests.handoff.migration_seeds import SEEDS
from tests.handoff.test_upgrades import build_at

TEAMS = ("it-support", "accounts", "security")
SECRET = "k" * 40
TOKEN = "123456789:AAEhBP0av28sTblfGuYBmoreletters_-12345"


def _settings_file(
    folder: Path, *, top: str = "", tables: str = "", knowledge: str = "knowledge"
) -> Path:
    teams = "".join(f'[[helpline.teams]]\nid = "{t}"\nname = "{t.title()}"\n\n' for t in TEAMS)
    path = folder / "helpline.toml"
    path.write_text(
        "# A deployment for the checks\n"
        "[helpline]\n"
        f'database_url = "sqlite+aiosqlite:///{folder / "helpline.db"}"\n'
        f'knowledge_dir = "{knowledge}"\n'
        f'secret_key = "{SECRET}"\n'
        f"{top}\n\n{teams}{tables}",
        encoding="utf-8",
    )
    return path


@pytest.fixture
async def deployment(tmp_path: Path, knowledge_dir: Path) -> Path:
    """A folder with a sound knowledge folder and a database whose agent serves every team."""
    store = await SqlStore.open(f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}")
    await store.add_agent(login="maria", name="Maria", password_hash="x", teams=TEAMS)
    await store.close()
    return tmp_path


async def _diagnose(path: Path, environ: dict[str, str] | None = None) -> Report:
    return await diagnose(config_file=path, environ=environ or {})


async def test_a_sound_deployment_has_no_findings(deployment: Path) -> None:
    report = await _diagnose(_settings_file(deployment))
    assert report.findings == ()


# (id, top-level lines, extra tables, severity, what the finding says)
BROKEN = [
    ("misspelt key", "prot = 8081", "", "error", "prot: unknown setting; did you mean 'port'?"),
    ("bad value", 'port = "eighty"', "", "error", "port: Input should be a valid integer"),
    (
        "misspelt nested key",
        "",
        "[helpline.routing]\naway_after_minute = 5\n",
        "error",
        "routing.away_after_minute: unknown setting; did you mean 'away_after_minutes'?",
    ),
    (
        "misspelt key in a list of tables",
        "",
        '[[helpline.teams]]\nid = "hr"\nnmae = "HR"\n',
        "error",
        "teams[3].nmae: unknown setting; did you mean 'name'?",
    ),
    (
        "misspelt table",
        "",
        "[helpine.routing]\ndefault_team = 'accounts'\n",
        "error",
        "not read: settings belong in the [helpline] table; did you mean [helpline]?",
    ),
    (
        "bad time zone",
        'time_zone = "Europe/Copenhagn"',
        "",
        "error",
        "Europe/Copenhagn",
    ),
    ("malformed token", 'telegram_token = "123456789:AAE hBP0"', "", "error", "not a bot token"),
    (
        "webhook without https",
        f'telegram_token = "{TOKEN}"\ntelegram_mode = "webhook"\ntelegram_webhook_secret = "s"',
        "",
        "error",
        "webhook mode needs public_url = https://",
    ),
    (
        "office hours that never open",
        "",
        '[[helpline.office_hours]]\nteam = "accounts"\nweekly = {}\n',
        "warning",
        "team 'accounts' never opens",
    ),
    (
        "office hours of an unknown team",
        "",
        '[[helpline.office_hours]]\nteam = "acounts"\nweekly = { mon = "09:00-17:00" }\n',
        "error",
        "office hours for team 'acounts', not configured",
    ),
    (
        "routing to an unknown team",
        "",
        '[helpline.routing]\ndefault_team = "it_support"\n',
        "error",
        "routing.default_team names team 'it_support', not configured",
    ),
    (
        "a team nobody serves",
        "",
        '[[helpline.teams]]\nid = "hr"\nname = "HR"\n',
        "warning",
        "no active agent serves team 'hr' (HR)",
    ),
    (
        "demo agents",
        "",
        '[[helpline.demo_agents]]\nlogin = "d-0001"\nname = "Demo"\npassword = "demo"\n',
        "warning",
        "demo agents with published passwords are configured (d-0001)",
    ),
    ("short secret", 'secret_key = "abc"', "", "warning", "secret_key is short"),
    (
        "test suites' password hashing",
        'password_hashing = "cheapest"',
        "",
        "warning",
        'password_hashing = "cheapest" is for test suites',
    ),
    (
        "an unreachable database",
        'database_url = "postgresql+psycopg://helpline@127.0.0.1:9/helpline"',
        "",
        "error",
        "cannot reach the database",
    ),
]


@pytest.mark.parametrize(
    ("top", "tables", "severity", "says"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN]
)
async def test_a_broken_deployment_is_reported(
    deployment: Path, top: str, tables: str, severity: str, says: str
) -> None:
    # A key set twice is a TOML error; the case's own line replaces the sound one.
    path = _settings_file(deployment, top=top, tables=tables)
    lines = path.read_text(encoding="utf-8").splitlines()
    for key in ("database_url", "secret_key"):
        if top.startswith(key):
            lines.remove(next(line for line in lines if line.startswith(f"{key} = ")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await _diagnose(path)
    found = [f for f in report.findings if says in f.message]
    assert [f.severity for f in found] == [Severity(severity)], report.findings


@pytest.mark.parametrize(
    ("top", "tables", "key"),
    [
        ("prot = 8081", "", "prot"),
        ("", "[helpline.routing]\naway_after_minute = 5\n", "away_after_minute"),
        ("", '[[helpline.teams]]\nid = "hr"\nnmae = "HR"\n', "nmae"),
        ("", "[helpine.routing]\ndefault_team = 'x'\n", "helpine"),
    ],
)
async def test_a_settings_finding_names_the_line_of_the_key(
    deployment: Path, top: str, tables: str, key: str
) -> None:
    path = _settings_file(deployment, top=top, tables=tables)
    report = await _diagnose(path)
    [message] = [f.message for f in report.findings if key in f.message]
    where = re.match(rf"{re.escape(str(path))}:(\d+): ", message)
    assert where is not None, message
    line = path.read_text(encoding="utf-8").splitlines()[int(where.group(1)) - 1]
    assert key in line


async def test_a_value_from_the_environment_is_named_by_its_variable(deployment: Path) -> None:
    report = await _diagnose(_settings_file(deployment), {"HELPLINE_PORT": "eighty"})
    [finding] = report.findings
    assert finding.message.startswith("HELPLINE_PORT: port: Input should be a valid integer")


async def test_a_missing_knowledge_folder_is_an_error(deployment: Path) -> None:
    report = await _diagnose(_settings_file(deployment, knowledge="no-such-folder"))
    [finding] = report.findings
    assert (finding.severity, finding.subject) == (Severity.ERROR, "knowledge")
    assert "no such knowledge folder" in finding.message


async def test_a_broken_article_is_named_with_its_line(deployment: Path) -> None:
    (deployment / "knowledge" / "broken.md").write_text("---\ntitle: [x\n---\nbody\n", "utf-8")
    report = await _diagnose(_settings_file(deployment))
    assert [f.subject for f in report.errors] == ["knowledge"]
    assert "broken.md:" in report.errors[0].message


async def test_a_database_of_a_newer_version_is_an_error(deployment: Path) -> None:
    with sqlite3.connect(deployment / "helpline.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    report = await _diagnose(_settings_file(deployment))
    [finding] = report.findings
    assert "schema 9999_future, which this version does not know" in finding.message


async def test_a_database_not_created_yet_is_fine(tmp_path: Path, knowledge_dir: Path) -> None:
    # Start-up creates it, and the demo agent it creates serves every team.
    teams = ", ".join(f'"{team}"' for team in TEAMS)
    demo = '[[helpline.demo_agents]]\nlogin = "mh-4711"\nname = "Maria"\npassword = "x"\n'
    report = await _diagnose(_settings_file(tmp_path, tables=f"{demo}teams = [{teams}]\n"))
    assert [f.subject for f in report.findings] == ["go-live"]
    assert not (tmp_path / "helpline.db").exists()


async def test_an_smtp_server_that_answers_passes(unused_tcp_port: int) -> None:
    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.example.org ESMTP\r\n")
        while line := await reader.readline():
            writer.write(b"221 bye\r\n" if line.upper().startswith(b"QUIT") else b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", unused_tcp_port)
    async with server:
        assert await check_smtp("127.0.0.1", unused_tcp_port) == []


async def test_an_smtp_server_that_does_not_answer_is_an_error(unused_tcp_port: int) -> None:
    [finding] = await check_smtp("127.0.0.1", unused_tcp_port, timeout_s=2)
    assert (finding.severity, finding.subject) == (Severity.ERROR, "smtp")


def test_the_command_exits_1_with_the_list(deployment: Path) -> None:
    path = _settings_file(deployment, top="prot = 8081")
    result = CliRunner().invoke(main, ["doctor", "--config", str(path)])
    assert result.exit_code == 1
    assert "error    settings:" in result.output
    assert "did you mean 'port'?" in result.output


def test_the_command_passes_a_sound_deployment(deployment: Path) -> None:
    result = CliRunner().invoke(main, ["doctor", "--config", str(_settings_file(deployment))])
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output


def test_the_service_does_not_start_with_an_error(deployment: Path) -> None:
    path = _settings_file(deployment, tables='[helpline.routing]\ndefault_team = "nobody"\n')
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 1
    assert "not starting" in result.output
    assert "default_team names team 'nobody'" in result.output


async def test_a_database_at_an_older_schema_is_left_to_start_up(
    tmp_path: Path, knowledge_dir: Path
) -> None:
    await build_at(f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}", SEEDS[:1])
    report = await _diagnose(_settings_file(tmp_path))
    assert report.findings == ()


async def test_a_self_hosted_bot_api_only_warns_about_telegram_rules(deployment: Path) -> None:
    top = (
        'telegram_token = "123456:TEST-token"\ntelegram_api_url = "http://127.0.0.1:8081/bot"\n'
        'telegram_mode = "webhook"\ntelegram_webhook_secret = "s"\npublic_url = "http://127.0.0.1"'
    )
    report = await _diagnose(_settings_file(deployment, top=top))
    telegram = [f.severity for f in report.findings if f.subject == "telegram"]
    assert telegram == [Severity.WARNING, Severity.WARNING]


async def test_doctor_checks_the_configured_smtp_server(
    deployment: Path, unused_tcp_port: int
) -> None:
    top = (
        f'smtp_host = "127.0.0.1"\nsmtp_port = {unused_tcp_port}\nsmtp_security = "none"\n'
        'mail_from = "support@example.org"\npublic_url = "https://help.example.org"'
    )
    path = _settings_file(deployment, top=top)
    [finding] = [f for f in (await _diagnose(path)).findings if f.subject == "smtp"]
    assert (finding.severity, finding.subject) == (Severity.ERROR, "smtp")
    assert f"127.0.0.1:{unused_tcp_port} does not answer" in finding.message


async def test_a_refused_smtp_login_is_an_error_without_the_password(
    unused_tcp_port: int,
) -> None:
    async def refuse_login(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.example.org ESMTP\r\n")
        while line := await reader.readline():
            command = line.upper()
            if command.startswith(b"EHLO"):
                writer.write(b"250-mail.example.org\r\n250 AUTH PLAIN LOGIN\r\n")
            elif command.startswith(b"AUTH"):
                writer.write(b"535 5.7.8 authentication failed\r\n")
            elif command.startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(refuse_login, "127.0.0.1", unused_tcp_port)
    async with server:
        [finding] = await check_smtp(
            "127.0.0.1", unused_tcp_port, username="helpline", password="hunter2-secret"
        )
    assert (finding.severity, finding.subject) == (Severity.ERROR, "smtp")
    assert "refused the login of 'helpline'" in finding.message
    assert "hunter2" not in finding.message
