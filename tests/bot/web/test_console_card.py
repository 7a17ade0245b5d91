"""The handoff card on the console: its "Question" is the one the customer still needs help
with, the same one the card marks as having led to the handoff (handoff.questions)."""

from __future__ import annotations

import re

import pytest

from tests.bot.web.conftest import VPN_QUESTION, ChatCustomer, ConsoleAgent

PRINTER = "my printer is jammed and blinking orange"  # no article answers it
PERSON = "can I talk to a person"
HELPED = ("Yes", "/helpful yes")

_QUESTION = re.compile(r'id="card-question">([^<]*)</dd>')
_LED = re.compile(r"<strong>Led to the handoff:</strong> ([^<]*) <span")


@pytest.mark.parametrize(
    ("said", "question"),
    [
        (["hi there", PERSON], None),
        ([VPN_QUESTION, HELPED, PERSON], None),
        (["hello", PRINTER, PERSON], PRINTER),
        ([VPN_QUESTION, HELPED, PRINTER, PERSON], PRINTER),
        ([PRINTER, "thanks", PERSON], PRINTER),
        # An answered question outranks words the bot did not recognise (handoff.questions).
        ([VPN_QUESTION, PRINTER, PERSON], VPN_QUESTION),
    ],
    ids=[
        "small talk, then a person",
        "an answer that helped, then a person",
        "a greeting, then a question",
        "an answer that helped, then another question",
        "a question, then small talk",
        "an answer, then words the bot did not know",
    ],
)
async def test_the_card_names_the_question_still_unsolved(
    customer: ChatCustomer,
    maria: ConsoleAgent,
    said: list[str | tuple[str, str]],
    question: str | None,
) -> None:
    for line in said:
        if isinstance(line, tuple):
            await customer.say(line[0], payload=line[1])
        else:
            await customer.say(line)
    (entry,) = (await maria.queue())["queue"]
    page = (await maria.client.get(f"/console/conversations/{entry['conversation_id']}")).text
    assert 'id="handoff-card"' in page
    shown = [match.replace("&#39;", "'") for match in _QUESTION.findall(page)]
    led = [match.replace("&#39;", "'") for match in _LED.findall(page)]
    expected = [] if question is None else [question]
    assert (shown, led) == (expected, expected)
