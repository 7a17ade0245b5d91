"""The chat's HTML of plain text, which skips the Markdown parser."""

from __future__ import annotations

import csv
import html
import random
from pathlib import Path

from handoff import markup
from tests.bot.web.conftest import ChatCustomer

CASES = Path(__file__).parents[3] / "examples" / "it-helpdesk" / "knowledge" / "cases.csv"
# Letters of both sample languages, digits, and every character that opens markup, a list,
# a link or a line break in the Markdown subset.
ALPHABET = "abcXYZæøåÆ019 ,?!'-._*`#+>)(\n\t[]:/@<&\\~="


def _parsed_as_written(text: str) -> bool:
    tokens = markup._parser().parse(text)
    if [t.type for t in tokens] != ["paragraph_open", "inline", "paragraph_close"]:
        return False
    children = tokens[1].children or []
    return [(c.type, c.content) for c in children] == [("text", text)]


def test_text_taken_as_plain_is_one_paragraph_of_itself_to_the_parser() -> None:
    shuffle = random.Random(14)
    texts = ["".join(shuffle.choices(ALPHABET, k=shuffle.randint(0, 12))) for _ in range(100_000)]
    plain = [t for t in texts if markup.is_plain(t)]
    assert len(plain) > 1000  # the check is exercised
    assert [t for t in plain if not _parsed_as_written(t)] == []
    assert all(markup.to_html(t) == f"<p>{html.escape(t, quote=False)}</p>" for t in plain)


def test_most_sample_questions_are_plain_and_formatted_as_before() -> None:
    with CASES.open(encoding="utf-8") as file:
        questions = [row["text"] for row in csv.DictReader(file)]
    plain = [q for q in questions if markup.is_plain(q)]
    assert len(plain) >= 0.9 * len(questions)
    assert all(_parsed_as_written(q) for q in plain)


async def test_a_customer_message_is_shown_as_escaped_html(customer: ChatCustomer) -> None:
    answer = await customer.say("Is 5 > 3 & what's *this*?")
    shown = answer["messages"][0]
    assert shown["html"] == "<p>Is 5 &gt; 3 &amp; what's <em>this</em>?</p>"
