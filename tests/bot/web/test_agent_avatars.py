"""Agents' pictures over real HTTP: an admin uploads one, customers see it beside the name."""

from __future__ import annotations

import base64

import httpx

from bot.service.composition import Service
from handoff.avatars import MAX_AVATAR_BYTES
from tests.bot.web.conftest import MARIA, ChatCustomer, ConsoleAgent

AGENTS = "/console/admin/agents"
#: A real one-pixel PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.7\n" + b"0" * 64


async def _maria_id(service: Service) -> int:
    found = await service.store.agent_credentials(MARIA[0])
    assert found is not None
    return found[0].id


async def _upload(admin: ConsoleAgent, agent_id: int, data: bytes, name: str) -> httpx.Response:
    return await admin.client.post(
        f"{AGENTS}/{agent_id}/avatar",
        data={"csrf": admin.csrf},
        files={"picture": (name, data, "image/png")},
    )


async def test_an_uploaded_picture_is_served_with_its_type_and_kept_by_browsers(
    sofie: ConsoleAgent, service: Service, http: httpx.AsyncClient
) -> None:
    maria = await _maria_id(service)
    assert (await _upload(sofie, maria, PIXEL, "maria.png")).status_code == 303
    version = (await service.store.avatar_versions())[maria]

    served = await http.get(f"/avatars/{maria}", params={"v": version})
    assert (served.status_code, served.content, served.headers["content-type"]) == (
        200,
        PIXEL,
        "image/png",
    )
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in served.headers["content-security-policy"]
    unversioned = await http.get(f"/avatars/{maria}")
    assert unversioned.headers["cache-control"] == "no-cache"


async def test_the_agents_page_shows_the_picture_or_else_the_initials(
    sofie: ConsoleAgent, service: Service
) -> None:
    maria = await _maria_id(service)
    before = (await sofie.client.get(AGENTS)).text
    await _upload(sofie, maria, PIXEL, "maria.png")
    after = (await sofie.client.get(AGENTS)).text
    version = (await service.store.avatar_versions())[maria]
    assert '<span class="agent-face" aria-hidden="true">M</span>' in before
    assert f'src="/avatars/{maria}?v={version}" alt="Picture of Maria"' in after


async def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(
    sofie: ConsoleAgent, service: Service
) -> None:
    response = await _upload(sofie, await _maria_id(service), PDF, "maria.png")
    assert response.status_code == 415
    assert "Only pictures" in response.text
    assert await service.store.avatar_versions() == {}


async def test_a_picture_over_the_limit_is_refused(sofie: ConsoleAgent, service: Service) -> None:
    huge = PIXEL + b"\x00" * MAX_AVATAR_BYTES
    response = await _upload(sofie, await _maria_id(service), huge, "maria.png")
    assert response.status_code == 413
    assert "too large" in response.text
    assert await service.store.avatar_versions() == {}


async def test_only_admins_set_pictures(maria: ConsoleAgent, service: Service) -> None:
    response = await _upload(maria, await _maria_id(service), PIXEL, "me.png")
    assert response.status_code == 403
    assert await service.store.avatar_versions() == {}


async def test_a_removed_picture_is_no_longer_served(
    sofie: ConsoleAgent, service: Service, http: httpx.AsyncClient
) -> None:
    maria = await _maria_id(service)
    await _upload(sofie, maria, PIXEL, "maria.png")
    removed = await sofie.client.post(f"{AGENTS}/{maria}/avatar/remove", data={"csrf": sofie.csrf})
    assert removed.status_code == 303
    assert (await http.get(f"/avatars/{maria}")).status_code == 404


async def test_the_customer_is_given_the_picture_of_the_agent_who_answers(
    queued: ChatCustomer, sofie: ConsoleAgent, maria: ConsoleAgent, service: Service
) -> None:
    maria_id = await _maria_id(service)
    await _upload(sofie, maria_id, PIXEL, "maria.png")
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hi, Maria here", reply_id="r1")
    version = (await service.store.avatar_versions())[maria_id]
    answers = [m for m in await queued.messages() if m["sender"] == "agent"]
    bot = [m for m in await queued.messages() if m["sender"] == "bot"]
    assert [m["agent_avatar"] for m in answers] == [f"/avatars/{maria_id}?v={version}"]
    assert {m["agent_avatar"] for m in bot} == {None}
