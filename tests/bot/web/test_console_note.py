"""Internal notes in the console over HTTP: colleagues see them, customers never do."""

from __future__ import annotations

from tests.bot.web.conftest import ChatCustomer, ConsoleAgent

NOTE = "VIP customer: call back before noon"


async def _queued_id(agent: ConsoleAgent) -> str:
    (entry,) = (await agent.queue())["queue"]
    conversation_id: str = entry["conversation_id"]
    return conversation_id


async def test_the_customer_never_sees_an_internal_note(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    noted = await maria.act(conversation_id, "note", text=NOTE)
    await maria.act(conversation_id, "reply", text="Hello, Maria here.")
    assert noted.status_code == 303, noted.text
    texts = [message["text"] for message in await queued.messages()]
    assert "Hello, Maria here." in texts
    assert NOTE not in texts


async def test_the_console_shows_the_note_styled_as_a_note(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "note", text=NOTE)
    page = (await maria.client.get(f"/console/conversations/{conversation_id}")).text
    note = page[page.index('class="msg msg-note"') :]
    assert NOTE in note[: note.index("</li>")]


async def test_the_live_transcript_marks_the_note_internal(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "note", text=NOTE)
    response = await maria.client.get(f"/console/api/conversations/{conversation_id}/messages")
    (note,) = [m for m in response.json()["messages"] if m["text"] == NOTE]
    assert note["internal"] is True


async def test_an_empty_note_is_refused(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    conversation_id = await _queued_id(maria)
    assert (await maria.act(conversation_id, "note", text="   ")).status_code == 409
