"""Settings: read once from a TOML file and the environment into one frozen object.

Precedence, highest first: keyword arguments, ``HELPLINE_*`` environment variables, the
``[helpline]`` table of the TOML file. Nothing is read at import time.
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from collections.abc import Mapping
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.dialogue.answer_policy import ANSWER_THRESHOLD, CLARIFY_MARGIN
from bot.dialogue.phrases import PHRASE_KEYS
from bot.errors import ConfigError
from bot.settings.locate import locate
from handoff.display_names import DisplayNameRefused, check_display_name
from handoff.office_hours import DeskHours, build_office_hours, zone
from handoff.passwords import DEFAULT_HASHING, PasswordHashing
from handoff.reply_mail import InvalidAddress, check_address
from handoff.store.engine import shown_url, url_password

DEFAULT_CONFIG_FILES = (Path("helpline.toml"), Path("examples/it-helpdesk/helpline.toml"))
#: The sample deployment, used when nothing else is found; its demo accounts (with their
#: well-known passwords) are created only when it is named (`make run` does).
SAMPLE_CONFIG_FILE = DEFAULT_CONFIG_FILES[-1]


class Team(BaseModel):
    """A team of agents that handoffs are routed to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    #: The name customers read in other languages, by language code (``{ da = "IT-support" }``);
    #: a language without one reads ``name``.
    names: dict[str, str] = {}
    #: Whether this team's handoffs are mirrored into the Telegram staff group. Every
    #: member of the group sees every topic, so a team whose conversations must stay
    #: with the team (security incidents) is kept out of it and worked in the console.
    telegram_staff_group: bool = True

    def name_in(self, language: str | None) -> str:
        """The team's name as a customer writing ``language`` reads it."""
        return self.names.get(language or "", self.name)


class DemoAgent(BaseModel):
    """An agent created on start when no agent exists yet (for trying Helpline out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    login: str
    name: str
    password: str
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    is_admin: bool = False

    @model_validator(mode="after")
    def _check_name(self) -> DemoAgent:
        # The rule of the agents page and ``helpline agents add``: customers see the name,
        # so the login must not be guessable from it (else the console would refuse to
        # save the demo agent's own row).
        try:
            check_display_name(self.name, login=self.login)
        except DisplayNameRefused as exc:
            raise ValueError(f"demo agent {self.login!r}: {exc}") from None
        return self


class Closure(BaseModel):
    """A date the desk keeps other hours: closed (no ``hours``) or a half day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: datetime.date
    hours: str = ""
    note: str | None = None


class OfficeHoursConfig(BaseModel):
    """One team's office hours (``team`` omitted: every team without hours of its own).

    ``weekly`` maps ``mon`` .. ``sun`` to spans such as ``"08:00-12:00, 13:00-16:00"``; a
    day left out is closed. Times are local to ``time_zone`` (default: the deployment's).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str | None = None
    time_zone: str | None = None
    weekly: dict[str, str] = Field(default_factory=dict)
    closures: tuple[Closure, ...] = ()


class HandoffPolicy(BaseModel):
    """When the bot hands a conversation to people: the ``[helpline.handoff]`` table.

    Each trigger is recorded with its reason code; ``helpline handoff explain`` shows it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The customer asks in words (English or Danish), with the button, or ``/human``.
    customer_asks: bool = True
    #: Fallbacks in a row that hand off; 0 turns the trigger off.
    fallbacks_in_a_row: int = Field(default=2, ge=0)
    #: "No, it did not help" on an answer hands off.
    not_helpful: bool = True
    #: Articles with ``handoff: true``: "hand_off" after answering, or only "offer" a person.
    article_handoff: Literal["hand_off", "offer"] = "hand_off"
    #: The same question again (normalised similarity at least ``repeated_similarity``).
    repeated_question: bool = True
    repeated_similarity: float = Field(default=0.85, gt=0.0, le=1.0)
    #: A message mostly in capitals with at least ``shouting_min_letters`` letters.
    shouting: bool = True
    shouting_min_letters: int = Field(default=12, ge=1)
    #: Words and phrases that signal frustration, in any configured language.
    words: tuple[str, ...] = (
        "useless",
        "rubbish",
        "ridiculous",
        "waste of time",
        "stupid bot",
        "elendig",
        "ubrugelig",
        "håbløs",
        "latterlig",
        "spild af tid",
    )
    #: Article ids or tags whose questions always go to a person (after the answer).
    always_human_topics: tuple[str, ...] = ()


class Routing(BaseModel):
    """Which team and agent get a handoff: the ``[helpline.routing]`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The team for handoffs without an article team or a language team (None: shared).
    default_team: str | None = None
    #: A team per customer language, used when the article names no team.
    language_teams: dict[str, str] = Field(default_factory=dict)
    #: An "online" agent idle in the console this long counts as away.
    away_after_minutes: float = Field(default=10, gt=0)


class Settings(BaseModel):
    """Everything the service needs to know about its deployment.

    A plain pydantic model: :func:`load_settings` merges the file, the environment (an
    injected mapping, so the object never reaches into ``os.environ`` behind the caller's
    back) and overrides itself, because it must know where each value came from to say
    where a bad one is.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

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
    # The retrieval model (docs/knowledge.md): "wordllama" (default install) or "minilm"
    # (the optional minilm extra, with torch).
    knowledge_model: Literal["wordllama", "minilm"] = "wordllama"
    # One default for every knowledge base (bot.dialogue.answer_policy.ANSWER_THRESHOLD).
    answer_threshold: float = Field(default=ANSWER_THRESHOLD, ge=0.0, le=1.0)
    clarify_margin: float = Field(default=CLARIFY_MARGIN, ge=0.0, le=1.0)
    fallbacks_before_handoff: int = Field(default=2, ge=1)
    handoff: HandoffPolicy = HandoffPolicy()
    routing: Routing = Routing()
    max_message_chars: int = Field(default=4000, ge=1)
    # Web (README "Embed the chat on your site"): which sites may frame the chat page
    # (CSP frame-ancestors; empty: only Helpline's own origin), the per-conversation flood
    # limit, and the console's login throttle (per login; four times as many per address).
    web_embed_origins: tuple[str, ...] = ()
    # A page to try the widget on, served at /demo (the sample deployment's widget-demo.html).
    web_demo_page: Path | None = None
    # Reverse proxies (IP addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
    # are believed (docs/deployment.md); none by default, so nobody can claim an address.
    trusted_proxies: tuple[str, ...] = ()
    web_flood_messages: int = Field(default=10, ge=1)
    web_flood_window_s: float = Field(default=10.0, gt=0)
    telegram_flood_messages: int = Field(default=10, ge=1)
    telegram_flood_window_s: float = Field(default=10.0, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_s: float = Field(default=900.0, gt=0)
    # How agents' passwords are hashed (handoff.passwords): "cheapest" is for test suites
    # only, where a login would otherwise cost a tenth of a second of Argon2.
    password_hashing: PasswordHashing = DEFAULT_HASHING
    # Web chat limits per client address (docs/deployment.md, "Security"): new
    # conversations per window, and live streams open at once (also per conversation).
    web_sessions_per_address: int = Field(default=30, ge=1)
    web_sessions_window_s: float = Field(default=600.0, gt=0)
    web_streams_per_address: int = Field(default=50, ge=1)
    web_streams_per_customer: int = Field(default=3, ge=1)
    # HTTP: connections served at once (beyond: 503), seconds to send a request's headers,
    # and the largest request line plus headers.
    web_max_connections: int = Field(default=1000, ge=1)
    web_header_timeout_s: float = Field(default=10.0, gt=0)
    web_max_header_bytes: int = Field(default=16384, ge=1024)
    # Agents read their teams' conversations (admins all); True opens every team's to all.
    console_read_all_teams: bool = False
    # The dashboard groups the latest this many unanswered questions of its period.
    dashboard_gap_questions: int = Field(default=2000, ge=1)
    # Desk time: notices, office hours, timers (README "Status notices", "Office hours").
    time_zone: str = "UTC"
    office_hours: tuple[OfficeHoursConfig, ...] = ()
    wait_update_minutes: int = Field(default=5, ge=1)
    agent_inactivity_minutes: int | None = Field(default=10, ge=1)
    retention_days: int | None = Field(default=None, ge=1)
    timer_tick_seconds: float = Field(default=5.0, gt=0)
    secret_key: str | None = None
    # Replies by e-mail (README "Replies by e-mail"): without an SMTP host no customer is
    # asked for an address. The link back to the chat needs public_url, and secret_key to
    # outlive a restart (docs/deployment.md).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None
    # An unread reply is mailed this long after it was written (a burst: in one mail).
    mail_delay_minutes: float = Field(default=2.0, gt=0)
    # Asked for an address when closed, or when the expected wait is at least this long.
    mail_ask_wait_minutes: int = Field(default=15, ge=0)
    resume_link_days: int = Field(default=7, ge=1)
    actions_host: str = "127.0.0.1"
    actions_port: int = Field(default=5055, ge=0, le=65535)
    log_level: str = "INFO"
    # Operations (README "Operations"): one JSON object per log line, and the bearer token
    # /metrics asks for (without one it answers only clients on the loopback interface).
    log_format: Literal["text", "json"] = "text"
    metrics_token: str | None = None
    # Telegram: no token, no Telegram. The API URL ends before the token (".../bot").
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: str | None = None
    telegram_staff_chat_id: int | None = None
    # A Telegram channel (or group) where each status notice is also posted when it starts.
    telegram_notice_chat_id: int | None = None

    def secrets(self) -> tuple[str, ...]:
        """Every secret value of the deployment, as logs must never show them: the tokens,
        the cookie key, the SMTP password, and the database password as written in the URL
        and decoded."""
        values = [
            self.secret_key,
            self.metrics_token,
            self.telegram_token,
            self.telegram_webhook_secret,
            self.smtp_password,
        ]
        password = url_password(self.database_url)
        if password:
            values += [password, quote(password, safe=""), quote(password)]
        return tuple(value for value in values if value)

    def shown_database_url(self) -> str:
        """The database URL with its password masked, for banners and messages."""
        return shown_url(self.database_url)

    def team_name(self, team_id: str | None) -> str | None:
        """The display name of a team, or None when the team is not configured."""
        for team in self.teams:
            if team.id == team_id:
                return team.name
        return None

    def handoff_policy(self) -> HandoffPolicy:
        """The handoff policy; ``fallbacks_before_handoff`` counts unless the table sets
        ``fallbacks_in_a_row`` itself (older settings files keep working)."""
        if "fallbacks_in_a_row" in self.handoff.model_fields_set:
            return self.handoff
        return self.handoff.model_copy(update={"fallbacks_in_a_row": self.fallbacks_before_handoff})

    @field_validator("phrases")
    @classmethod
    def _known_phrases(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        # An override of a sentence the bot no longer says (renamed or merged in an
        # upgrade) would be dropped without a word; the deployment must hear of it.
        for language, table in value.items():
            unknown = sorted(set(table) - PHRASE_KEYS)
            if unknown:
                raise ValueError(
                    f"[helpline.phrases.{language}] overrides no sentence the bot says: "
                    f"{', '.join(unknown)}; the sentences are listed in bot/dialogue/phrases.py"
                )
        return value

    @field_validator("web_embed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # HELPLINE_WEB_EMBED_ORIGINS is one string: "https://a.example, https://b.example";
        # HELPLINE_TRUSTED_PROXIES likewise: "127.0.0.1, 10.0.0.0/24".
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("web_embed_origins")
    @classmethod
    def _check_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Each entry becomes a CSP source; a stray ";" or quote would change the policy.
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.*:\[\]-]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://www.example.org")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        networks = []
        for entry in value:
            try:
                networks.append(str(ip_network(entry.strip(), strict=False)))
            except ValueError:
                # uvicorn would keep an unparsable entry as a literal that never matches;
                # the operator should hear about the typo instead.
                raise ValueError(
                    f"{entry!r} is not an IP address or network like 10.0.0.5 or 10.0.0.0/24"
                ) from None
        return tuple(networks)

    @property
    def mail_enabled(self) -> bool:
        """Whether replies may be mailed to customers (an SMTP host is set)."""
        return self.smtp_host is not None

    @model_validator(mode="after")
    def _check_mail(self) -> Settings:
        # Without a sender or a public address no mail can be sent or link back; say so at
        # start-up rather than when the first reply is due.
        if self.smtp_host is None:
            return self
        if not self.mail_from:
            raise ValueError("smtp_host is set, so mail_from (the sender's address) is needed")
        try:
            check_address(self.mail_from)
        except InvalidAddress as exc:
            raise ValueError(f"mail_from: {exc.reason}") from None
        if not self.public_url:
            raise ValueError(
                "smtp_host is set, so public_url is needed (the mailed link back to the chat)"
            )
        return self

    @model_validator(mode="after")
    def _check_desk_time(self) -> Settings:
        # Fail at start-up, naming the setting, rather than on the first handoff.
        zone(self.time_zone)
        self.desk_hours()
        return self

    def desk_hours(self) -> DeskHours:
        """The office hours of every team, built from ``office_hours``.

        Raises:
            ValueError: a time zone, day or span is invalid.
        """
        teams = {}
        default = None
        for config in self.office_hours:
            hours = build_office_hours(
                time_zone=config.time_zone or self.time_zone,
                weekly=config.weekly,
                closures={c.date: c.hours for c in config.closures},
            )
            if config.team is None:
                default = hours
            else:
                teams[config.team] = hours
        return DeskHours(teams=teams, default=default)


def _read_config_file(path: Path) -> tuple[dict[str, Any], str]:
    """The ``[helpline]`` table of a settings file, and the file's text."""
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = document.get("helpline", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [helpline] must be a table")
    # Relative paths in the file are relative to the file, not to the working directory.
    for name in ("knowledge_dir", "web_demo_page"):
        if name in table:
            table[name] = (path.parent / str(table[name])).resolve()
    return table, text


def find_config_file(environ: Mapping[str, str]) -> Path | None:
    """The settings file to read: ``HELPLINE_CONFIG``, else the first of
    :data:`DEFAULT_CONFIG_FILES` that exists, else None.

    Raises:
        ConfigError: ``HELPLINE_CONFIG`` names no file.
    """
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
    search_config: bool = True,
    **overrides: Any,
) -> Settings:
    """Build the settings of one deployment.

    Args:
        environ: the environment to read ``HELPLINE_*`` variables from (default
            ``os.environ``).
        config_file: a TOML file; default ``HELPLINE_CONFIG``, else ``./helpline.toml``,
            else the sample deployment ``examples/it-helpdesk/helpline.toml`` without its
            demo accounts (they come only with the file named).
        search_config: with no ``config_file``, look for one as above (False: use none,
            so the result does not depend on the working directory).
        **overrides: values that win over the file and the environment.

    Returns:
        The frozen settings.

    Raises:
        ConfigError: the file or a value is invalid; the message names it.
    """
    env = os.environ if environ is None else environ
    if config_file is not None:
        path: Path | None = config_file
    else:
        path = find_config_file(env) if search_config else None
    values, text = _read_config_file(path) if path is not None else ({}, "")
    if config_file is None and path == SAMPLE_CONFIG_FILE and not env.get("HELPLINE_CONFIG"):
        # Found by falling back, not asked for: no admin with a published password.
        values.pop("demo_agents", None)
    sources = dict.fromkeys(values, "file")
    for name in Settings.model_fields:
        key = f"HELPLINE_{name.upper()}"
        if key in env:
            values[name] = env[key]
            sources[name] = key
    values.update(overrides)
    sources.update(dict.fromkeys(overrides, "override"))
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = tuple(
            str(problem)
            for problem in locate(exc, model=Settings, sources=sources, path=path, text=text)
        )
        raise ConfigError("invalid settings:\n  " + "\n  ".join(problems), problems) from exc
