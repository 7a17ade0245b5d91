"""A team's name in the customer's language (``names`` in the team's entry), where the
customer reads it: who joined, and where the conversation went."""

from __future__ import annotations

import pytest

from bot.settings.model import Settings, Team
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The web tests' deployment, its team named in Danish too."""
    team = Team(id="it-support", name="IT support", names={"da": "IT-support"})
    return web_settings.model_copy(update={"teams": (team,)})


def test_a_language_without_a_name_of_its_own_reads_the_name() -> None:
    team = Team(id="it-support", name="IT support", names={"da": "IT-support"})
    assert [team.name_in(lang) for lang in ("da", "en", "de", None)] == [
        "IT-support",
        "IT support",
        "IT support",
        "IT support",
    ]


@pytest.mark.parametrize(
    ("question", "ask", "team", "joined"),
    [
        (
            "jeg kan ikke komme på vpn hjemmefra",
            "kan jeg tale med en medarbejder",
            "IT-support",
            "Maria fra IT-support er kommet med i samtalen.",
        ),
        (
            "I can't connect to the VPN from home",
            "can I talk to a person",
            "IT support",
            "Maria from IT support has joined the conversation.",
        ),
    ],
    ids=["da", "en"],
)
async def test_the_customer_reads_the_team_in_their_language(
    maria: ConsoleAgent,
    customer: ChatCustomer,
    question: str,
    ask: str,
    team: str,
    joined: str,
) -> None:
    await customer.say(question)
    await customer.say(ask)
    (entry,) = (await maria.queue())["queue"]
    assert (await maria.act(entry["conversation_id"], "claim")).status_code == 303
    texts = [message["text"] for message in await customer.messages()]
    assert f" {team}." in texts[-2]  # "I have passed your conversation on to IT support."
    assert texts[-1] == joined


@pytest.mark.parametrize(
    ("question", "ask", "team"),
    [
        ("jeg kan ikke komme på vpn hjemmefra", "kan jeg tale med en medarbejder", "IT-support"),
        ("I can't connect to the VPN from home", "can I talk to a person", "IT support"),
    ],
    ids=["da", "en"],
)
async def test_the_chat_api_names_the_team_of_the_agent_who_joined(
    maria: ConsoleAgent, customer: ChatCustomer, question: str, ask: str, team: str
) -> None:
    await customer.say(question)
    await customer.say(ask)
    (entry,) = (await maria.queue())["queue"]
    await maria.act(entry["conversation_id"], "claim")
    await maria.act(entry["conversation_id"], "reply", text="Hi, Maria here")
    messages = await customer.messages()
    # The chat's header shows it beside the agent's name; no other message carries a team.
    assert [(m["kind"], m["agent_name"], m["agent_team"]) for m in messages[-2:]] == [
        ("agent_joined", "Maria", team),
        (None, "Maria", None),
    ]
    assert {m["agent_team"] for m in messages[:-2]} == {None}
