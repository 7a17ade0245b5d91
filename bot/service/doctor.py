"""Checks of a deployment before it serves anyone: `helpline doctor`, and `helpline run`.

Each check looks at one thing an operator can get wrong and says what to change. An
**error** stops the service from working as configured (it does not start); a **warning**
is a desk that would run but not as the operator likely meant (a team nobody serves,
office hours that never open, demo logins left on).
"""

from __future__ import annotations

import asyncio
import os
import re
import smtplib
import tomllib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from bot.errors import ConfigError
from bot.settings.locate import unknown_tables
from bot.settings.model import Settings, find_config_file, load_settings
from handoff.errors import HandoffError, StoreUnavailable
from handoff.office_hours import HORIZON_DAYS
from handoff.store.backup import BackupError, sqlite_file
from handoff.store.migrate import schema_status
from handoff.store.sql import SqlStore
from knowledge.errors import KnowledgeLoadError
from knowledge.loader import load_knowledge

#: How long a check waits for a server (the database, an SMTP server) to answer.
TIMEOUT_S = 10.0

#: A bot token as BotFather hands it out: the bot's id, a colon, 35 characters.
TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
#: Telegram's own Bot API, where a malformed token can only be a mistake.
OFFICIAL_API = "https://api.telegram.org/"
#: What Telegram accepts as a webhook secret.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Severity(StrEnum):
    """How much a finding matters."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found: what it is about, and what to do."""

    severity: Severity
    subject: str  # "settings", "database", "knowledge", "telegram", ...
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.subject}: {self.message}"


def _error(subject: str, message: str) -> Finding:
    return Finding(Severity.ERROR, subject, message)


def _warning(subject: str, message: str) -> Finding:
    return Finding(Severity.WARNING, subject, message)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the checks found, and the settings when they could be read."""

    findings: tuple[Finding, ...]
    settings: Settings | None

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings that keep the service from starting."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


async def diagnose(
    *, config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Report:
    """Read the settings as `helpline run` would, then run every check on them.

    Args:
        config_file: the settings file (default: found as :func:`load_settings` does).
        environ: the environment (default ``os.environ``).

    Returns:
        Every finding; no settings when they could not be read (then only those errors).
    """
    try:
        settings = load_settings(config_file=config_file, environ=environ)
    except ConfigError as exc:
        problems = exc.problems or (str(exc),)
        return Report(tuple(_error("settings", p) for p in problems), None)
    path = config_file or find_config_file(os.environ if environ is None else environ)
    findings = _file_findings(path) if path is not None else []
    findings += await check_settings(settings)
    return Report(tuple(findings), settings)


def _file_findings(path: Path) -> list[Finding]:
    text = path.read_text(encoding="utf-8")
    return [_error("settings", str(p)) for p in unknown_tables(tomllib.loads(text), path, text)]


async def check_settings(settings: Settings) -> list[Finding]:
    """Run every check on valid settings (the checks listed in :data:`CHECKS`)."""
    findings: list[Finding] = []
    for check in CHECKS:
        findings += await check(settings)
    return findings


# The database -------------------------------------------------------------------------


async def check_database(settings: Settings) -> list[Finding]:
    """The database answers, and its schema is one this version can upgrade or use."""
    url = settings.database_url
    shown = settings.shown_database_url()
    try:
        file = sqlite_file(url)
    except BackupError as exc:
        return [_error("database", str(exc))]
    if file is not None and not file.exists():
        # Connecting would create it; a check must not. Start-up creates it.
        folder = file.parent if str(file.parent) else Path()
        if not folder.is_dir():
            return [_error("database", f"{folder} does not exist: cannot create {file}")]
        return []
    try:
        status = await asyncio.wait_for(schema_status(url), TIMEOUT_S)
    except (StoreUnavailable, ValueError) as exc:
        return [_error("database", f"{shown}: {exc}")]
    except TimeoutError:
        return [_error("database", f"{shown} did not answer within {TIMEOUT_S:.0f} s")]
    if not status.known:
        return [
            _error(
                "database",
                f"{shown} is at schema {status.current}, which this version does not know: "
                "it was used by a newer Helpline; run that version, or restore a backup",
            )
        ]
    return []


# The knowledge ------------------------------------------------------------------------


async def check_knowledge(settings: Settings) -> list[Finding]:
    """The knowledge folder exists and every file in it loads."""
    try:
        result = await asyncio.to_thread(
            load_knowledge, settings.knowledge_dir, today=datetime.now(UTC).date()
        )
    except KnowledgeLoadError as exc:
        return [_error("knowledge", str(error)) for error in exc.errors]
    if not result.knowledge.articles:
        return [_warning("knowledge", f"{settings.knowledge_dir} holds no article")]
    teams = {team.id for team in settings.teams}
    unknown = sorted({a.team for a in result.knowledge.articles if a.team and a.team not in teams})
    return [
        _warning("knowledge", f"articles hand off to team {team!r}, which is not configured")
        for team in unknown
    ]


# Telegram -----------------------------------------------------------------------------


async def check_telegram(settings: Settings) -> list[Finding]:
    """The bot token has BotFather's form; webhook mode has what it needs."""
    token = settings.telegram_token
    if not token:
        return []
    findings = []
    # Telegram itself refuses these; a self-hosted (or a test) Bot API server may not.
    official = settings.telegram_api_url.startswith(OFFICIAL_API)
    severity = Severity.ERROR if official else Severity.WARNING
    if not TELEGRAM_TOKEN.fullmatch(token):
        findings.append(
            Finding(
                severity,
                "telegram",
                "telegram_token is not a bot token (BotFather gives one like "
                "123456789:AAE...; check for a missing part or a stray space)",
            )
        )
    if settings.telegram_mode == "webhook":
        if not (settings.public_url or "").startswith("https://"):
            findings.append(
                Finding(
                    severity,
                    "telegram",
                    "webhook mode needs public_url = https://... (Telegram's rule)",
                )
            )
        secret = settings.telegram_webhook_secret
        if not secret or not WEBHOOK_SECRET.fullmatch(secret):
            findings.append(
                _error(
                    "telegram",
                    "webhook mode needs telegram_webhook_secret: 1-256 of A-Z a-z 0-9 _ -",
                )
            )
    return findings


# Mail ----------------------------------------------------------------------------------


async def check_smtp(
    host: str,
    port: int,
    *,
    security: str = "none",
    username: str | None = None,
    password: str | None = None,
    timeout_s: float = TIMEOUT_S,
) -> list[Finding]:
    """The SMTP server at ``host:port`` answers with its greeting, speaks TLS as configured
    (``ssl``: from the start; ``starttls``: after STARTTLS) and accepts the login if one is
    set. The password is never part of a finding."""

    def probe() -> None:
        client = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        with client(host, port, timeout=timeout_s) as server:
            if security == "starttls":
                server.starttls()
            if username:
                server.login(username, password or "")
            server.noop()

    try:
        await asyncio.to_thread(probe)
    except smtplib.SMTPAuthenticationError as exc:
        return [_error("smtp", f"{host}:{port} refused the login of {username!r}: {exc.smtp_code}")]
    except smtplib.SMTPNotSupportedError:
        return [_error("smtp", f"{host}:{port} does not offer STARTTLS (set smtp_security)")]
    except (OSError, smtplib.SMTPException) as exc:
        return [_error("smtp", f"{host}:{port} does not answer: {exc}")]
    return []


async def check_mail(settings: Settings) -> list[Finding]:
    """With replies by e-mail configured: the SMTP server works, and mailed links outlive
    a restart (they are signed with ``secret_key``)."""
    if settings.smtp_host is None:
        return []
    findings = await check_smtp(
        settings.smtp_host,
        settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )
    if settings.secret_key is None:
        findings.append(
            _warning(
                "smtp",
                "no secret_key: the links back to the chat in mailed replies stop working "
                "when the service restarts (set HELPLINE_SECRET_KEY)",
            )
        )
    return findings


# The desk ------------------------------------------------------------------------------


async def check_office_hours(settings: Settings) -> list[Finding]:
    """Every configured opening hours open at some time, and name configured teams."""
    teams = {team.id for team in settings.teams}
    hours = settings.desk_hours()
    now = datetime.now(UTC)
    findings = []
    for config in settings.office_hours:
        name = f"team {config.team!r}" if config.team else "the default"
        if config.team is not None and config.team not in teams:
            findings.append(
                _error("office hours", f"office hours for team {config.team!r}, not configured")
            )
        own = hours.teams.get(config.team) if config.team else hours.default
        if own is not None and own.next_open(now) is None:
            findings.append(
                _warning(
                    "office hours",
                    f"{name} never opens in the next {HORIZON_DAYS} days: customers handed "
                    "off there are told nobody is coming (set weekly hours)",
                )
            )
    return findings


async def check_teams(settings: Settings) -> list[Finding]:
    """Routing names configured teams, and each team has an active agent to serve it."""
    teams = {team.id for team in settings.teams}
    findings = []
    routing = settings.routing
    named = {"routing.default_team": routing.default_team} | {
        f"routing.language_teams.{lang}": team for lang, team in routing.language_teams.items()
    }
    for setting, named_team in named.items():
        if named_team is not None and named_team not in teams:
            findings.append(_error("teams", f"{setting} names team {named_team!r}, not configured"))
    if not teams:
        return findings
    try:
        served = await _served_teams(settings)
    except (HandoffError, StoreUnavailable, OSError, ValueError, TimeoutError):
        return findings  # the database check reports why
    if served is None:
        return findings
    for team in settings.teams:
        if team.id not in served:
            findings.append(
                _warning(
                    "teams",
                    f"no active agent serves team {team.id!r} ({team.name}): its handoffs "
                    "would wait for ever (helpline agents add ... --team " + team.id + ")",
                )
            )
    return findings


async def _served_teams(settings: Settings) -> set[str] | None:
    """The teams the desk's active agents serve (None: the database cannot say yet)."""
    file = sqlite_file(settings.database_url)
    agents: list[tuple[str, ...]] = []
    if file is None or file.exists():
        status = await asyncio.wait_for(schema_status(settings.database_url), TIMEOUT_S)
        if status.current != status.head:
            return None  # start-up upgrades it first; the database check says if it cannot
        store = await SqlStore.open(settings.database_url, migrate=False)
        try:
            agents = [a.teams for a in await store.list_agents() if a.active]
        finally:
            await store.close()
    if not agents:
        # Start-up creates the demo agents in a desk without agents.
        agents = [demo.teams for demo in settings.demo_agents]
    return {team for teams in agents for team in teams}


# Going live ----------------------------------------------------------------------------


async def check_go_live(settings: Settings) -> list[Finding]:
    """The settings a public deployment must change from the defaults and the sample."""
    findings = []
    if settings.secret_key is None:
        findings.append(
            _warning(
                "go-live",
                "no secret_key: console logins end at every restart, and several processes "
                "reject each other's (set HELPLINE_SECRET_KEY to 32+ random characters)",
            )
        )
    elif len(settings.secret_key) < 32:
        findings.append(_warning("go-live", "secret_key is short: use 32+ random characters"))
    if settings.password_hashing == "cheapest":
        findings.append(
            _warning(
                "go-live",
                'password_hashing = "cheapest" is for test suites: agents\' passwords are '
                "hashed with next to no protection (remove it; each agent's hash is renewed "
                "at their next login)",
            )
        )
    if settings.demo_agents:
        logins = ", ".join(demo.login for demo in settings.demo_agents)
        findings.append(
            _warning(
                "go-live",
                f"demo agents with published passwords are configured ({logins}): remove "
                "[[helpline.demo_agents]] and add real agents (helpline agents add)",
            )
        )
    public = settings.public_url is not None
    if public and settings.metrics_token is None and not settings.trusted_proxies:
        findings.append(
            _warning(
                "go-live",
                "no metrics_token and no trusted_proxies: behind a proxy on this machine, "
                "/metrics answers everyone the proxy lets through",
            )
        )
    if public and not str(settings.public_url).startswith("https://"):
        findings.append(
            _warning("go-live", "public_url is not https://: logins travel in the clear")
        )
    return findings


#: Every check, in the order they report.
CHECKS: tuple[Callable[[Settings], Awaitable[list[Finding]]], ...] = (
    check_database,
    check_knowledge,
    check_telegram,
    check_mail,
    check_office_hours,
    check_teams,
    check_go_live,
)
