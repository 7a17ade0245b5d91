"""The agent console over HTTP: login, CSRF, queue, claim, reply, resolve, escaping."""

from __future__ import annotations

from bot.channels.web.app import SESSION_COOKIE
from bot.channels.web.login_throttle import DEVICE_COOKIE
from bot.service.composition import Service
from handoff import markup
from handoff.passwords import hash_password, verify_password
from tests.bot.web.conftest import (
    JONAS,
    MARIA,
    VPN_QUESTION,
    ChatCustomer,
    ConsoleAgent,
    csrf_of,
)

XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


async def _queued_id(agent: ConsoleAgent) -> str:
    queue = (await agent.queue())["queue"]
    assert len(queue) == 1
    conversation_id: str = queue[0]["conversation_id"]
    return conversation_id


async def test_pages_redirect_to_login_when_logged_out(logged_out: ConsoleAgent) -> None:
    response = await logged_out.client.get("/console")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/login"


async def test_json_api_is_401_when_logged_out(logged_out: ConsoleAgent) -> None:
    response = await logged_out.client.get("/console/api/queue")
    assert response.status_code == 401


async def test_wrong_password_is_refused(logged_out: ConsoleAgent) -> None:
    response = await logged_out.login(MARIA[0], "not-her-password")
    assert response.status_code == 401
    assert "Wrong login or password" in response.text
    assert (await logged_out.client.get("/console")).status_code == 303


async def test_unknown_login_is_refused_like_a_wrong_password(logged_out: ConsoleAgent) -> None:
    response = await logged_out.login("nobody", "whatever")
    assert response.status_code == 401
    assert "Wrong login or password" in response.text


async def test_right_password_opens_the_console(logged_out: ConsoleAgent) -> None:
    response = await logged_out.login(MARIA[0], MARIA[1])
    assert response.status_code == 303
    page = await logged_out.client.get("/console")
    assert page.status_code == 200
    assert MARIA[2] in page.text


async def test_a_login_renews_a_hash_made_otherwise_than_the_deployment_says(
    service: Service, logged_out: ConsoleAgent
) -> None:
    # Stored with the default profile; this deployment hashes with the tests' profile.
    await service.store.add_agent(login="ada", name="Ada", password_hash=hash_password("pw-ada"))
    assert service.settings.password_hashing == "cheapest"

    assert (await logged_out.login("ada", "pw-ada")).status_code == 303

    found = await service.store.agent_credentials("ada")
    assert found is not None
    assert found[1].startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(found[1], "pw-ada")


async def test_a_wrong_password_leaves_a_hash_made_otherwise_as_it_was(
    service: Service, logged_out: ConsoleAgent
) -> None:
    stored = hash_password("pw-ada")  # the default profile; this deployment's is "cheapest"
    await service.store.add_agent(login="ada", name="Ada", password_hash=stored)

    assert (await logged_out.login("ada", "not-ada's")).status_code == 401

    found = await service.store.agent_credentials("ada")
    assert found is not None
    assert found[1] == stored


async def test_session_cookie_is_httponly_and_samesite_lax(logged_out: ConsoleAgent) -> None:
    response = await logged_out.login(MARIA[0], MARIA[1])
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("Set-Cookie")}
    # The session, and the known-device cookie of the login limits (sent to the login page
    # only, never from other sites): neither readable by scripts.
    assert set(cookies) == {SESSION_COOKIE, DEVICE_COOKIE}
    assert "httponly" in cookies[SESSION_COOKIE]
    assert "samesite=lax" in cookies[SESSION_COOKIE]
    assert "httponly" in cookies[DEVICE_COOKIE]
    assert "samesite=strict" in cookies[DEVICE_COOKIE]


async def test_login_without_csrf_token_is_403(logged_out: ConsoleAgent) -> None:
    await logged_out.client.get("/console/login")
    response = await logged_out.client.post(
        "/console/login", data={"login": MARIA[0], "password": MARIA[1]}
    )
    assert response.status_code == 403


async def test_action_without_csrf_token_is_403(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    conversation_id = await _queued_id(maria)
    response = await maria.client.post(f"/console/conversations/{conversation_id}/claim")
    assert response.status_code == 403
    assert len((await maria.queue())["queue"]) == 1


async def test_action_with_another_sessions_csrf_token_is_403(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    response = await maria.client.post(
        f"/console/conversations/{conversation_id}/claim", data={"csrf": jonas.csrf}
    )
    assert response.status_code == 403


async def test_logout_ends_the_session(maria: ConsoleAgent) -> None:
    response = await maria.client.post("/console/logout", data={"csrf": maria.csrf})
    assert response.status_code == 303
    assert (await maria.client.get("/console")).status_code == 303


async def test_queue_shows_the_handoff(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    page = await maria.client.get("/console")
    assert "can I talk to a person" in page.text
    assert "IT support" in page.text
    [entry] = (await maria.queue())["queue"]
    assert entry["position"] == 1
    assert entry["team"] == "IT support"
    assert entry["last_customer_text"] == "can I talk to a person"


async def test_conversation_page_shows_reason_and_summary(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    page = await maria.client.get(f"/console/conversations/{conversation_id}")
    assert "The customer asked for a person" in page.text
    assert 'action="/console/conversations/' + conversation_id + '/claim"' in page.text


async def test_claim_gives_the_conversation_to_the_agent(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    response = await maria.act(conversation_id, "claim")
    assert response.status_code == 303
    mine = (await maria.queue())["mine"]
    assert [item["conversation_id"] for item in mine] == [conversation_id]
    assert (await maria.queue())["queue"] == []


async def test_customer_is_told_who_joined(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    await maria.act(await _queued_id(maria), "claim")
    last = (await queued.messages())[-1]
    assert last["sender"] == "system"
    assert "Maria" in last["text"]


async def test_second_agents_claim_is_refused(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await jonas.act(conversation_id, "claim")
    assert response.status_code == 409
    assert "Already taken by Maria" in response.text


async def test_reply_reaches_the_customer_with_the_agents_name(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await maria.act(conversation_id, "reply", text="Hi, I'll reset your VPN profile.")
    assert response.status_code == 303
    last = (await queued.messages())[-1]
    assert (last["sender"], last["agent_name"], last["text"]) == (
        "agent",
        "Maria",
        "Hi, I'll reset your VPN profile.",
    )


async def test_double_submitted_reply_is_stored_once(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    before = len(await queued.messages())
    for _ in range(2):
        await maria.act(conversation_id, "reply", text="On it.", reply_id="a1b2c3d4")
    assert len(await queued.messages()) == before + 1


async def test_reply_to_someone_elses_conversation_is_refused(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await jonas.act(conversation_id, "reply", text="Me too!")
    assert response.status_code == 409
    assert all(m["text"] != "Me too!" for m in await queued.messages())


async def test_release_puts_the_conversation_back_in_the_queue(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await maria.act(conversation_id, "release")
    assert response.status_code == 303
    assert await _queued_id(maria) == conversation_id


async def test_resolve_closes_the_conversation(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await maria.act(conversation_id, "resolve")
    assert response.status_code == 303
    live = await maria.client.get(f"/console/api/conversations/{conversation_id}/messages")
    assert live.json()["state"] == "resolved"
    assert (await maria.queue())["mine"] == []
    # The satisfaction question follows the "resolved" message.
    assert "resolved" in (await queued.messages())[-2]["text"]


async def test_transcript_is_complete_and_in_order(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hello from Maria")
    await queued.say("Thanks Maria")
    customer_view = [m["text"] for m in await queued.messages()]
    live = await maria.client.get(f"/console/api/conversations/{conversation_id}/messages")
    messages = live.json()["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert [m["text"] for m in messages] == customer_view
    assert customer_view[0] == VPN_QUESTION
    assert customer_view[-1] == "Thanks Maria"


async def test_transcript_page_lists_every_message_in_order(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    texts = [m["text"] for m in await queued.messages()]
    page = (await maria.client.get(f"/console/conversations/{conversation_id}")).text
    transcript = page[page.index('id="transcript"') :]
    positions = [transcript.index(markup.to_html(text)) for text in texts]
    assert positions == sorted(positions)


async def test_live_messages_after_a_seq_are_only_the_newer_ones(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    url = f"/console/api/conversations/{conversation_id}/messages"
    seen = (await maria.client.get(url)).json()["messages"]
    await queued.say("still there?")
    newer = (await maria.client.get(url, params={"after": seen[-1]["seq"]})).json()["messages"]
    assert newer[0]["seq"] == seen[-1]["seq"] + 1
    assert newer[0]["text"] == "still there?"


async def test_customer_text_is_escaped_in_the_console(
    customer: ChatCustomer, maria: ConsoleAgent
) -> None:
    await customer.say(XSS)
    await customer.say("can I talk to a person")
    conversation_id = await _queued_id(maria)
    page = (await maria.client.get(f"/console/conversations/{conversation_id}")).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in page


async def test_last_message_is_escaped_in_the_queue(
    customer: ChatCustomer, maria: ConsoleAgent
) -> None:
    await customer.say(f"I want a person {XSS}")
    page = (await maria.client.get("/console")).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


async def test_each_login_gets_a_fresh_csrf_token(logged_out: ConsoleAgent) -> None:
    before = csrf_of((await logged_out.client.get("/console/login")).text)
    await logged_out.login(JONAS[0], JONAS[1])
    assert logged_out.csrf
    assert logged_out.csrf != before


async def test_unknown_conversation_is_404(maria: ConsoleAgent) -> None:
    response = await maria.client.get("/console/conversations/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
