"""What the console says when the desk refuses an agent's move: what happened, over HTTP.

Release, resolve, hand back, transfer and a reply name the reason: no such conversation (404), it
is closed already, waiting in the queue, with the bot, or another agent's (409).
"""

from __future__ import annotations

import uuid

import pytest
from markupsafe import escape

from bot.channels.web.console.desk import CLOSED, IN_THE_QUEUE, NOT_YOURS, WITH_THE_BOT
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent

REFUSALS = (NOT_YOURS, IN_THE_QUEUE, WITH_THE_BOT, CLOSED)

# Maria's moves before the refused one; then who tries what, and what they are told.
CASES = [
    ("resolved", ["claim", "resolve"], "maria", "resolve", CLOSED),
    ("resolved", ["claim", "resolve"], "maria", "release", CLOSED),
    ("resolved", ["claim", "resolve"], "maria", "hand-back", CLOSED),
    ("resolved", ["claim", "resolve"], "maria", "transfer", CLOSED),
    ("queued", [], "maria", "resolve", IN_THE_QUEUE),
    ("released", ["claim", "release"], "maria", "release", IN_THE_QUEUE),
    ("handed back", ["claim", "hand-back"], "maria", "resolve", WITH_THE_BOT),
    ("handed back", ["claim", "hand-back"], "maria", "transfer", WITH_THE_BOT),
    ("maria's", ["claim"], "jonas", "release", NOT_YOURS),
    ("maria's", ["claim"], "jonas", "resolve", NOT_YOURS),
    ("maria's", ["claim"], "jonas", "hand-back", NOT_YOURS),
    ("maria's", ["claim"], "jonas", "transfer", NOT_YOURS),
    ("resolved", ["claim", "resolve"], "maria", "reply", CLOSED),
    ("queued", [], "maria", "reply", IN_THE_QUEUE),
    ("released", ["claim", "release"], "maria", "reply", IN_THE_QUEUE),
    ("handed back", ["claim", "hand-back"], "maria", "reply", WITH_THE_BOT),
    ("maria's", ["claim"], "jonas", "reply", NOT_YOURS),
]
#: What each form sends besides its CSRF token.
FIELDS = {"transfer": {"to": "team:it-support"}, "reply": {"text": "Try restarting it."}}


@pytest.mark.parametrize(
    ("before", "who", "action", "told"),
    [pytest.param(*case[1:], id=f"{case[3]} {case[0]} by {case[2]}") for case in CASES],
)
async def test_a_refused_move_says_what_happened(
    queued: ChatCustomer,
    maria: ConsoleAgent,
    jonas: ConsoleAgent,
    before: list[str],
    who: str,
    action: str,
    told: str,
) -> None:
    conversation_id: str = (await maria.queue())["queue"][0]["conversation_id"]
    for move in before:
        assert (await maria.act(conversation_id, move)).status_code == 303, move
    agent = {"maria": maria, "jonas": jonas}[who]
    response = await agent.act(conversation_id, action, **FIELDS.get(action, {}))
    said = [text for text in REFUSALS if escape(text) in response.text]
    assert (response.status_code, said) == (409, [told])


@pytest.mark.parametrize("action", ["release", "resolve", "hand-back", "transfer", "reply"])
async def test_a_move_on_no_conversation_is_404(maria: ConsoleAgent, action: str) -> None:
    response = await maria.act(str(uuid.uuid4()), action, **FIELDS.get(action, {}))
    assert (response.status_code, response.json()) == (404, {"detail": "no such conversation"})
