"""The composition root: builds the whole object graph from the settings, once."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

from bot.channels.mail import SmtpMailer, SmtpServer
from bot.channels.telegram.channel import TelegramChannel, build_channel
from bot.channels.web.resume import ResumeLinks
from bot.desk.reply_mail import ReplyMail
from bot.desk.status import DeskStatus
from bot.desk.timer_jobs import DeskTimers
from bot.desk.timer_runner import TimerRunner, TimerScheduler
from bot.dialogue.actions import RasaActionRunner, build_executor
from bot.dialogue.answer_policy import Thresholds
from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import KnowledgeSnapshot
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed, key_from_database
from bot.runtime.knowledge_reload import KnowledgeReloader, KnowledgeStatus
from bot.service.metrics import Metrics
from bot.settings.model import Settings
from handoff.passwords import hash_password
from handoff.store.changes import ChangeListener
from handoff.store.port import Store
from handoff.store.sql import SqlStore
from knowledge.embedding import load_embedding
from knowledge.index import SearchIndex
from knowledge.loader import load_knowledge

log = logging.getLogger(__name__)


class KnowledgeHolder:
    """Holds the knowledge currently serving; a reload swaps it whole."""

    def __init__(
        self, snapshot: KnowledgeSnapshot, *, after_replace: Callable[[], None] | None = None
    ) -> None:
        self._snapshot = snapshot
        self._after_replace = after_replace

    def __call__(self) -> KnowledgeSnapshot:
        return self._snapshot

    def replace(self, snapshot: KnowledgeSnapshot) -> None:
        """Serve ``snapshot`` from now on."""
        self._snapshot = snapshot
        if self._after_replace is not None:
            self._after_replace()


def load_snapshot(settings: Settings) -> KnowledgeSnapshot:
    """Load and index the deployment's knowledge.

    Raises:
        KnowledgeLoadError: a file is malformed; the error lists every file and line.
    """
    result = load_knowledge(settings.knowledge_dir, today=date.today())
    for warning in result.warnings:
        log.warning("knowledge: %s", warning)
    index = SearchIndex.build(
        result.knowledge, embedding=load_embedding(settings.knowledge_model), training="background"
    )
    return KnowledgeSnapshot(result.knowledge, index)


@dataclass(frozen=True, slots=True)
class Service:
    """Everything one Helpline process runs on."""

    settings: Settings
    store: Store
    runtime: Runtime
    feed: ChangeFeed
    knowledge: KnowledgeHolder
    knowledge_reloader: KnowledgeReloader
    phrases: Phrases
    secret_key: str
    telegram: TelegramChannel | None = None  # None when no Telegram token is set
    timers: DeskTimers | None = None
    scheduler: TimerScheduler | None = None  # started by start_timers (the web service)
    metrics: Metrics | None = None  # served at /metrics
    changes: ChangeListener | None = None  # PostgreSQL: what other processes stored
    resume_links: ResumeLinks | None = None  # the mailed links back to the web chat

    @property
    def knowledge_status(self) -> KnowledgeStatus:
        """When the serving knowledge was loaded, and the last reload error, if any."""
        return self.knowledge_reloader.status

    async def start_timers(self) -> None:
        """Arm the deployment's timers and start firing them (once per process)."""
        if self.timers is not None and self.scheduler is not None:
            await self.timers.arm(datetime.now(UTC))
            self.scheduler.start()

    async def close(self) -> None:
        """Stop the knowledge hot reload and release the database connections."""
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.knowledge_reloader.stop()
        if self.changes is not None:
            await self.changes.close()
        await self.store.close()


def build_runtime(
    settings: Settings,
    store: Store,
    knowledge: KnowledgeHolder,
    feed: ChangeFeed,
    *,
    metrics: Metrics | None = None,
) -> tuple[Runtime, Phrases]:
    """Wire the runtime and its rasa-sdk actions (shared by the service and `helpline chat`)."""
    phrases = Phrases(overrides=settings.phrases, default_language=settings.default_language)
    thresholds = Thresholds(
        answer=settings.answer_threshold, clarify_margin=settings.clarify_margin
    )
    runner = RasaActionRunner(build_executor(knowledge, phrases, thresholds))
    runtime = Runtime(
        store=store,
        actions=runner,
        phrases=phrases,
        feed=feed,
        teams=settings.teams,
        default_language=settings.default_language,
        max_message_chars=settings.max_message_chars,
        status=build_desk_status(settings, store, phrases),
        policy=settings.handoff_policy(),
        routing=settings.routing,
        metrics=metrics,
        ask_email_after=(
            timedelta(minutes=settings.mail_ask_wait_minutes) if settings.mail_enabled else None
        ),
    )
    return runtime, phrases


def build_desk_status(settings: Settings, store: Store, phrases: Phrases) -> DeskStatus:
    """What the desk tells customers about itself: notices, waits, office hours."""
    inactivity = settings.agent_inactivity_minutes
    return DeskStatus(
        store=store,
        phrases=phrases,
        hours=settings.desk_hours(),
        default_language=settings.default_language,
        time_zone=settings.time_zone,
        wait_updates_every=timedelta(minutes=settings.wait_update_minutes),
        agent_inactivity=None if inactivity is None else timedelta(minutes=inactivity),
        away_after=timedelta(minutes=settings.routing.away_after_minutes),
        language_teams=settings.routing.language_teams,
        default_team=settings.routing.default_team,
    )


def build_timers(
    settings: Settings,
    runtime: Runtime,
    phrases: Phrases,
    *,
    telegram: TelegramChannel | None = None,
    reply_mail: ReplyMail | None = None,
) -> tuple[DeskTimers, TimerScheduler]:
    """The desk's timer handlers and the scheduler that fires them (not started)."""
    days = settings.retention_days
    chat_id = settings.telegram_notice_chat_id
    timers = DeskTimers(
        runtime=runtime,
        status=build_desk_status(settings, runtime.store, phrases),
        phrases=phrases,
        retention=None if days is None else timedelta(days=days),
        default_language=settings.default_language,
        announce=(
            None if telegram is None or chat_id is None else partial(telegram.announce, chat_id)
        ),
        reply_mail=reply_mail,
    )
    runner = TimerRunner(runtime.store, timers.handlers())
    return timers, TimerScheduler(runner, tick_seconds=settings.timer_tick_seconds)


def build_reply_mail(
    settings: Settings, store: Store, phrases: Phrases, links: ResumeLinks
) -> ReplyMail | None:
    """Mailing unread replies to web customers, when an SMTP server is configured."""
    if settings.smtp_host is None or settings.mail_from is None or settings.public_url is None:
        return None
    server = SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )
    public_url = settings.public_url
    return ReplyMail(
        store=store,
        phrases=phrases,
        mailer=SmtpMailer(server),
        link=lambda customer_id, language: links.url(public_url, customer_id, language),
        link_days=settings.resume_link_days,
        sender=settings.mail_from,
        delay=timedelta(minutes=settings.mail_delay_minutes),
        hours=settings.desk_hours(),
        time_zone=settings.time_zone,
        default_language=settings.default_language,
    )


def build_metrics(
    settings: Settings, store: Store, *, reloader: KnowledgeReloader | None = None
) -> Metrics:
    """The service's metrics registry; the queue gauges use the desk's own wait estimate."""
    phrases = Phrases(overrides=settings.phrases, default_language=settings.default_language)
    return Metrics(
        store=store,
        status=build_desk_status(settings, store, phrases),
        teams=[team.id for team in settings.teams],
        reload_failing=None if reloader is None else lambda: not reloader.status.ok,
    )


async def seed_demo_agents(settings: Settings, store: Store) -> None:
    """Create the configured demo agents when the desk has no agent at all."""
    if not settings.demo_agents or await store.list_agents():
        return
    for demo in settings.demo_agents:
        await store.add_agent(
            login=demo.login,
            name=demo.name,
            password_hash=hash_password(demo.password, settings.password_hashing),
            teams=demo.teams,
            languages=demo.languages,
            is_admin=demo.is_admin,
        )
    log.info("created %d demo agents", len(settings.demo_agents))


async def build_service(
    settings: Settings, *, after_reload: Callable[[], None] | None = None
) -> Service:
    """Migrate the database, load the knowledge and wire everything together.

    The knowledge is reloaded whenever its folder changes, until :meth:`Service.close`;
    ``after_reload`` is called once a reloaded knowledge serves.
    """
    reloader = KnowledgeReloader(settings.knowledge_dir, model=settings.knowledge_model)
    knowledge = KnowledgeHolder(reloader.load(), after_replace=after_reload)
    store = await SqlStore.open(settings.database_url, migrate=True)
    await seed_demo_agents(settings, store)
    feed = ChangeFeed()
    changes = await listen_for_changes(settings.database_url, feed)
    metrics = build_metrics(settings, store, reloader=reloader)
    runtime, phrases = build_runtime(settings, store, knowledge, feed, metrics=metrics)
    telegram = build_telegram(settings, store, runtime)
    secret_key = settings.secret_key or secrets.token_urlsafe(32)
    if settings.secret_key is None:
        log.warning("no HELPLINE_SECRET_KEY set: agent logins end when the service restarts")
    reloader.start(knowledge.replace)
    resume_links = ResumeLinks(secret_key, max_age_s=settings.resume_link_days * 86400)
    reply_mail = build_reply_mail(settings, store, phrases, resume_links)
    if reply_mail is not None:
        runtime.add_listener(reply_mail)
    timers, scheduler = build_timers(
        settings, runtime, phrases, telegram=telegram, reply_mail=reply_mail
    )
    return Service(
        settings=settings,
        store=store,
        runtime=runtime,
        feed=feed,
        knowledge=knowledge,
        knowledge_reloader=reloader,
        phrases=phrases,
        secret_key=secret_key,
        telegram=telegram,
        timers=timers,
        scheduler=scheduler,
        metrics=metrics,
        changes=changes,
        resume_links=resume_links,
    )


async def listen_for_changes(database_url: str, feed: ChangeFeed) -> ChangeListener | None:
    """On PostgreSQL, feed what any process stores into this process's change feed.

    On SQLite one process serves everything and its runtime publishes to the feed itself.
    """
    if not database_url.startswith("postgresql"):
        return None

    def changed(word: str) -> None:
        key = key_from_database(word)
        if key is not None:
            feed.publish(key)

    listener = ChangeListener(database_url, on_change=changed, on_gap=feed.wake_all)
    await listener.start()
    return listener


def build_telegram(settings: Settings, store: Store, runtime: Runtime) -> TelegramChannel | None:
    """The Telegram channel when a token is set (not started yet), else None."""
    if not settings.telegram_token:
        return None
    return build_channel(
        token=settings.telegram_token,
        api_url=settings.telegram_api_url,
        mode=settings.telegram_mode,
        runtime=runtime,
        store=store,
        public_url=settings.public_url,
        webhook_secret=settings.telegram_webhook_secret,
        staff_chat_id=settings.telegram_staff_chat_id,
        teams=[team.id for team in settings.teams],
        read_all_teams=settings.console_read_all_teams,
        hidden_teams=[team.id for team in settings.teams if not team.telegram_staff_group],
        flood_messages=settings.telegram_flood_messages,
        flood_window_s=settings.telegram_flood_window_s,
        time_zone=settings.time_zone,
    )
