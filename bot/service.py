"""The composition root: builds the whole object graph from the settings, once."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from bot.actions import RasaActionRunner, build_executor
from bot.dialogue import Thresholds
from bot.feed import ChangeFeed
from bot.phrases import Phrases
from bot.runtime import Runtime
from bot.settings import Settings
from bot.turns import KnowledgeSnapshot
from handoff.passwords import hash_password
from handoff.store.port import Store
from handoff.store.sql import SqlStore
from knowledge.index import SearchIndex
from knowledge.loader import load_knowledge

log = logging.getLogger(__name__)


class KnowledgeHolder:
    """Holds the knowledge currently serving; a reload swaps it whole."""

    def __init__(self, snapshot: KnowledgeSnapshot) -> None:
        self._snapshot = snapshot

    def __call__(self) -> KnowledgeSnapshot:
        return self._snapshot

    def replace(self, snapshot: KnowledgeSnapshot) -> None:
        """Serve ``snapshot`` from now on."""
        self._snapshot = snapshot


def load_snapshot(settings: Settings) -> KnowledgeSnapshot:
    """Load and index the deployment's knowledge.

    Raises:
        KnowledgeLoadError: a file is malformed; the error lists every file and line.
    """
    result = load_knowledge(settings.knowledge_dir)
    for warning in result.warnings:
        log.warning("knowledge: %s", warning)
    return KnowledgeSnapshot(result.knowledge, SearchIndex.build(result.knowledge))


@dataclass(frozen=True, slots=True)
class Service:
    """Everything one Helpline process runs on."""

    settings: Settings
    store: Store
    runtime: Runtime
    feed: ChangeFeed
    knowledge: KnowledgeHolder
    phrases: Phrases
    secret_key: str

    async def close(self) -> None:
        """Release the database connections."""
        await self.store.close()


def build_runtime(
    settings: Settings, store: Store, knowledge: KnowledgeHolder, feed: ChangeFeed
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
        team_names={team.id: team.name for team in settings.teams},
        default_language=settings.default_language,
        fallbacks_before_handoff=settings.fallbacks_before_handoff,
        max_message_chars=settings.max_message_chars,
    )
    return runtime, phrases


async def seed_demo_agents(settings: Settings, store: Store) -> None:
    """Create the configured demo agents when the desk has no agent at all."""
    if not settings.demo_agents or await store.list_agents():
        return
    for demo in settings.demo_agents:
        await store.add_agent(
            login=demo.login,
            name=demo.name,
            password_hash=hash_password(demo.password),
            teams=demo.teams,
            languages=demo.languages,
            is_admin=demo.is_admin,
        )
    log.info("created %d demo agents", len(settings.demo_agents))


async def build_service(settings: Settings) -> Service:
    """Migrate the database, load the knowledge and wire everything together."""
    knowledge = KnowledgeHolder(load_snapshot(settings))
    store = await SqlStore.open(settings.database_url, migrate=True)
    await seed_demo_agents(settings, store)
    feed = ChangeFeed()
    runtime, phrases = build_runtime(settings, store, knowledge, feed)
    secret_key = settings.secret_key or secrets.token_urlsafe(32)
    if settings.secret_key is None:
        log.warning("no HELPLINE_SECRET_KEY set: agent logins end when the service restarts")
    return Service(
        settings=settings,
        store=store,
        runtime=runtime,
        feed=feed,
        knowledge=knowledge,
        phrases=phrases,
        secret_key=secret_key,
    )
