"""The sample deployment's demo agents on the agents page, as its admin finds them.

The page says a login may not contain the name customers see, and the page and
``helpline agents`` refuse one that does; the demo agents are listed that way too, so
their rows can be saved as they are shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.service.composition import Service
from bot.settings.model import Settings, load_settings
from tests.bot.web.conftest import Connect, ConsoleAgent

SAMPLE_CONFIG = Path(__file__).parents[3] / "examples" / "it-helpdesk" / "helpline.toml"


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment with the sample's teams and demo agents."""
    sample = load_settings(environ={}, config_file=SAMPLE_CONFIG)
    return web_settings.model_copy(
        update={"teams": sample.teams, "demo_agents": sample.demo_agents}
    )


async def test_each_demo_agents_row_saves_as_shown(
    web_settings: Settings, service: Service, connect: Connect
) -> None:
    admin = next(demo for demo in web_settings.demo_agents if demo.is_admin)
    saved = []
    async with connect() as client:
        console = ConsoleAgent(client)
        assert (await console.login(admin.login, admin.password)).status_code == 303
        for demo in web_settings.demo_agents:
            found = await service.store.agent_credentials(demo.login)
            assert found is not None
            agent = found[0]
            form = {
                "csrf": console.csrf,
                "name": agent.name,
                "teams": ", ".join(agent.teams),
                "languages": ", ".join(agent.languages),
                "capacity": str(agent.capacity),
                "is_admin": "yes" if agent.is_admin else "",
            }
            response = await client.post(f"/console/admin/agents/{agent.id}", data=form)
            saved.append((demo.login, response.status_code))
    assert saved == [(demo.login, 303) for demo in web_settings.demo_agents]
