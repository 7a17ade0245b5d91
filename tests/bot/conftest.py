"""Fixtures for the bot package: a small knowledge folder and a runtime on a real SQLite file."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path

import pytest

from bot.dialogue.turns import KnowledgeSnapshot
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.service.composition import KnowledgeHolder, build_runtime, load_snapshot
from bot.settings.model import Settings, Team, load_settings
from handoff.model import ConversationState, Presence
from handoff.passwords import hash_password
from handoff.store.sql import SqlStore
from tests.bot.customers import said

ARTICLES = {
    "vpn.en.md": """---
id: vpn-connect
title: Connecting to the VPN from home
lang: en
team: it-support
questions:
  - How do I connect to the VPN?
  - vpn doesn't work from home
  - can't reach the intranet from my laptop
---
Open **Secure Client**, type `vpn.example.org` and sign in with your usual password.
""",
    "vpn.da.md": """---
id: vpn-connect
title: Forbind til VPN hjemmefra
lang: da
team: it-support
questions:
  - Hvordan forbinder jeg til VPN?
  - VPN virker ikke hjemmefra
  - kan ikke komme på intranettet fra min bærbare
---
Åbn **Secure Client**, skriv `vpn.example.org` og log ind med din sædvanlige adgangskode.
""",
    "password.en.md": """---
id: password-reset
title: Resetting a forgotten password
lang: en
team: accounts
questions:
  - I forgot my password
  - how do I reset my password
  - my password does not work any more
---
Go to https://password.example.org and choose **Forgot password**.
""",
    "password.da.md": """---
id: password-reset
title: Nulstil en glemt adgangskode
lang: da
team: accounts
questions:
  - Jeg har glemt min adgangskode
  - hvordan nulstiller jeg min adgangskode
---
Gå til https://password.example.org og vælg **Glemt adgangskode**.
""",
    "stolen.en.md": """---
id: lost-device
title: Lost or stolen laptop or phone
lang: en
team: security
handoff: true
questions:
  - my laptop was stolen
  - I lost my work phone
---
Report it at once: we lock the device remotely. A person will follow up with you.
""",
}


def write_articles(root: Path) -> Path:
    """Write the small knowledge folder's articles to ``root`` (created); return it."""
    root.mkdir()
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    return write_articles(tmp_path / "knowledge")


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path) -> Settings:
    return load_settings(
        environ={},
        search_config=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}",
        knowledge_dir=knowledge_dir,
        teams=(
            Team(id="it-support", name="IT support"),
            Team(id="accounts", name="Accounts"),
            Team(id="security", name="Security"),
        ),
    )


@pytest.fixture
async def store(settings: Settings, at_head: Callable[[str], None]) -> AsyncIterator[SqlStore]:
    at_head(settings.database_url)
    opened = await SqlStore.open(settings.database_url, migrate=True)
    yield opened
    await opened.close()


@pytest.fixture
def feed() -> ChangeFeed:
    return ChangeFeed()


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="session")
def knowledge_snapshots() -> Callable[[Settings], KnowledgeSnapshot]:
    """Loads a deployment's knowledge with :func:`load_snapshot`, keeping the last snapshot:
    a snapshot is never changed once built, so the next test whose settings name the same
    folder, holding the same files, on the same day, with the same model, is given it
    again (the sample knowledge's tests share one index instead of building ~1 s of CPU
    each). Only the last one is kept, as each test's own folder is new."""
    kept: dict[tuple[Path, str, date, str], KnowledgeSnapshot] = {}

    def load(settings: Settings) -> KnowledgeSnapshot:
        folder = settings.knowledge_dir
        key = (folder.resolve(), settings.knowledge_model, date.today(), _folder_digest(folder))
        if key not in kept:
            kept.clear()
            kept[key] = load_snapshot(settings)
        return kept[key]

    return load


@pytest.fixture
def runtime(
    settings: Settings,
    store: SqlStore,
    feed: ChangeFeed,
    knowledge_snapshots: Callable[[Settings], KnowledgeSnapshot],
) -> Runtime:
    knowledge = KnowledgeHolder(knowledge_snapshots(settings))
    built, _ = build_runtime(settings, store, knowledge, feed)
    return built


@pytest.fixture(scope="session")
def agent_password_hashes() -> tuple[str, str]:
    """Argon2 hashes of Maria's and Jonas's passwords, made once per worker with the
    deployment's profile: each takes about 0.2 s of CPU, and a stored hash does not depend
    on the test that stores it."""
    return hash_password("pw1"), hash_password("pw2")


@pytest.fixture
async def agents(store: SqlStore, agent_password_hashes: tuple[str, str]) -> tuple[int, int]:
    """Two agents of the it-support team: Maria and Jonas."""
    maria_hash, jonas_hash = agent_password_hashes
    maria = await store.add_agent(
        login="maria", name="Maria", password_hash=maria_hash, teams=["it-support"]
    )
    jonas = await store.add_agent(
        login="jonas", name="Jonas", password_hash=jonas_hash, teams=["it-support"]
    )
    return maria.id, jonas.id


@pytest.fixture
async def on_shift(runtime: Runtime, store: SqlStore) -> int:
    """Sam, online with room for one conversation and busy with another customer's: people
    are on shift, and the next customer to ask for a person waits in the queue."""
    sam = await store.add_agent(login="sam", name="Sam", password_hash="x", capacity=1)
    await runtime.set_presence(sam.id, Presence.ONLINE)
    handled = await runtime.handle(said("can I talk to a person", sender="sams-customer"))
    conversation = await store.get_conversation(handled.conversation.id)
    assert (conversation.state, conversation.owner_agent_id) == (ConversationState.AGENT, sam.id)
    return sam.id
