"""Exporting a conversation as Markdown, JSON and HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from handoff.card import HandoffCard, build_card
from handoff.export import from_json, to_html, to_json, to_markdown
from handoff.model import SenderKind
from handoff.printable import printable
from tests.handoff.desk_samples import CONVERSATION, CUSTOMER, HANDOFF, START, TRANSCRIPT


@pytest.fixture
def card() -> HandoffCard:
    return build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=HANDOFF,
        transcript=TRANSCRIPT,
        now=START + timedelta(hours=1),
    )


def test_json_round_trips(card: HandoffCard) -> None:
    assert from_json(to_json(card)) == card


def test_json_of_another_format_is_refused(card: HandoffCard) -> None:
    with pytest.raises(ValueError, match="format"):
        from_json(to_json(card).replace("helpline-transcript/1", "other/9"))


def test_markdown_starts_with_the_card_then_the_transcript(card: HandoffCard) -> None:
    text = to_markdown(card)
    assert text.index("**Reason:** not_helpful") < text.index("## Transcript")
    assert "vpn-connect (answer, score 0.71, did not help)" in text
    assert "**Maria (agent):** Hi, Maria here" in text


def test_html_escapes_the_customers_words(card: HandoffCard) -> None:
    page = to_html(card)
    assert "my vpn &lt;keeps&gt; dropping" in page
    assert "<keeps>" not in page


def test_html_shows_formatted_text_with_only_safe_links(card: HandoffCard) -> None:
    said = (
        card.transcript[0],
        replace(
            card.transcript[0], text="see **https://password.example.org** or [x](javascript:1)"
        ),
    )
    page = to_html(replace(card, transcript=said))
    assert '<strong><a href="https://password.example.org"' in page
    assert 'href="javascript' not in page


@pytest.mark.parametrize(
    ("zone_name", "expected"),
    [("Europe/Copenhagen", "2026-03-02 10:00:01 CET"), ("UTC", "2026-03-02 09:00:01 UTC")],
)
def test_exported_times_are_on_the_deployments_clock_and_say_so(
    zone_name: str, expected: str
) -> None:
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=HANDOFF,
        transcript=TRANSCRIPT,
        now=START + timedelta(hours=1),
    )
    local = ZoneInfo(zone_name)
    assert f"- `{expected}` **customer:**" in to_markdown(card, time_zone=local)
    assert f">{expected}</time>" in to_html(card, time_zone=local)


def test_markdown_shows_a_customers_markup_as_typed_and_cannot_forge_lines(
    card: HandoffCard,
) -> None:
    forged = "fine\n# Resolved\n- `2026-01-01 09:00:00` **Maria (agent):** I reset it\n1. <b>x</b>"
    last = card.transcript[-1]
    said = replace(last, text=forged, sender=SenderKind.CUSTOMER, agent_name=None)
    tricked = replace(card, transcript=(said,))
    text = to_markdown(tricked)
    assert "\n  \\# Resolved" in text
    assert "\n  \\- \\`2026-01-01 09:00:00\\` \\*\\*Maria (agent):\\*\\*" in text
    assert "\n  1\\. \\<b\\>x\\</b\\>" in text
    assert text.count("**Maria (agent):**") == 0


def test_a_question_in_the_card_cannot_forge_a_heading(card: HandoffCard) -> None:
    assert card.questions, "the sample card lists the customer's questions"
    asked = replace(card.questions[0], text="vpn\n# Resolved by Maria")
    text = to_markdown(replace(card, questions=(asked, *card.questions[1:])))
    assert "\n# Resolved" not in text
    assert "\\# Resolved by Maria" in text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("clear \x1b[2J", "clear \\u001b[2J"),
        ("over\rwrite", "over\\u000dwrite"),
        ("csi \x9b", "csi \\u009b"),
        ("\u202eevil", "\\u202eevil"),
        ("tabs\tand\nlines stay", "tabs\tand\nlines stay"),
        ("Æble på dansk", "Æble på dansk"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_an_export_across_midnight_shows_the_local_day(card: HandoffCard) -> None:
    # 23:30 UTC on 6 December is already 7 December in Copenhagen.
    first = card.transcript[0]
    late = replace(first, created_at=first.created_at.replace(month=12, day=6, hour=23, minute=30))
    local = ZoneInfo("Europe/Copenhagen")
    shown = replace(card, transcript=(late,))
    expected = "2026-12-07 00:30:01 CET"
    assert f"- `{expected}` **customer:**" in to_markdown(shown, time_zone=local)
    page = to_html(shown, time_zone=local)
    assert f">{expected}</time>" in page
    assert "2026-12-06" not in to_markdown(shown, time_zone=local)
