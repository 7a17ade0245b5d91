"""Export a conversation (its handoff card, then the transcript) as Markdown, JSON or HTML.

Pure functions of a :class:`~handoff.card.HandoffCard`. JSON is the lossless format:
:func:`from_json` reads back exactly the card :func:`to_json` wrote.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

from handoff import markup
from handoff.card import HandoffCard, Promise, TriedArticle, what_the_bot_did
from handoff.model import Button, DeliveryStatus, HandoffReason, Message, SenderKind
from handoff.questions import BotDid, Question
from handoff.reasons import describe_reason

#: The JSON export's format tag; readers refuse other versions instead of guessing.
JSON_FORMAT = "helpline-transcript/1"

# Markdown's inline markup, and what makes a line a heading, list item, quote or rule.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~])")
_LINE_START = re.compile(r"^(\s*)([-+=>])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def _md(text: str) -> str:
    """Text written by a person, escaped so that Markdown shows it as it was typed.

    A message must not add a heading, a list item or an agent's line to the export.
    """
    escaped = _LINE_START.sub(r"\1\\\2", _MARKUP.sub(r"\\\1", text))
    return _NUMBERED.sub(r"\1\\\2", escaped)


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def _promised(card: HandoffCard) -> str:
    if card.promise is None:
        return "-"
    verdict = {None: "", True: " (kept)", False: " (not kept)"}[card.promise_kept]
    return card.promise.words() + verdict


def _mark(card: HandoffCard, question: Question) -> str:
    return "(led to the handoff) " if question.message_id == card.handoff_question else ""


def _facts(card: HandoffCard) -> list[tuple[str, str]]:
    facts = [
        ("Customer", card.customer),
        ("Channel", card.channel),
        ("Language", card.language or "unknown"),
        ("Team", card.team or "none"),
    ]
    if card.reason is not None:
        facts += [
            ("Reason", f"{card.reason.value}: {describe_reason(card.reason, card.reason_detail)}"),
            ("Question", card.question or ""),
            ("Waited", _minutes(card.waited_s)),
            ("Wait promised", _promised(card)),
        ]
    if card.rating is not None:
        facts.append(("Satisfaction", f"{card.rating}/5"))
    return facts


def _tried(article: TriedArticle) -> str:
    score = "-" if article.score is None else f"{article.score:.2f}"
    verdict = {None: "", True: ", helpful", False: ", did not help"}[article.helpful]
    return f"{article.article_id} ({article.outcome}, score {score}{verdict})"


def _who(message: Message) -> str:
    if message.sender is SenderKind.AGENT and message.agent_name:
        return f"{message.agent_name} (agent)"
    return message.sender.value


def stamp(moment: datetime, time_zone: tzinfo) -> str:
    """A time as staff read it: on the deployment's clock, with the zone's name
    ("2026-03-02 10:00:05 CET"), so an export read elsewhere is not misread."""
    local = moment.astimezone(time_zone) if moment.tzinfo is not None else moment
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or 'UTC'}"


def to_markdown(card: HandoffCard, *, time_zone: tzinfo = UTC) -> str:
    """The card as a Markdown document: facts, articles tried, then the transcript."""
    lines = [f"# Conversation {card.conversation_id}", ""]
    written_by_people = {"Customer", "Question"}
    lines += [
        f"- **{name}:** {_md(value) if name in written_by_people else value}"
        for name, value in _facts(card)
    ]
    if card.tried:
        lines += ["", "## Articles the bot tried", ""]
        lines += [f"- {_tried(article)}" for article in card.tried]
    if card.questions:
        lines += ["", "## Questions", ""]
        lines += [f"- {_mark(card, q)}{_md(q.text)}: {what_the_bot_did(q)}" for q in card.questions]
    lines += ["", "## Transcript", ""]
    for message in card.transcript:
        when = stamp(message.created_at, time_zone)
        # Customers' words are shown as typed; the bot's and agents' are Markdown already.
        said = _md(message.text) if message.sender is SenderKind.CUSTOMER else message.text
        text = said.replace("\n", "\n  ")
        lines.append(f"- `{when}` **{_md(_who(message))}:** {text}")
    return "\n".join(lines) + "\n"


def to_html(card: HandoffCard, *, time_zone: tzinfo = UTC) -> str:
    """The card as a standalone HTML page; every value is escaped.

    Message texts are shown formatted, through the safe Markdown subset of
    :mod:`handoff.markup` (links only to http, https and mailto, never raw HTML).
    """
    e = html.escape
    facts = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in _facts(card))
    tried = "".join(f"<li>{e(_tried(article))}</li>" for article in card.tried)
    rows = "".join(
        f'<li class="msg-{e(m.sender.value)}"><time datetime="{e(m.created_at.isoformat())}">'
        f"{e(stamp(m.created_at, time_zone))}</time> <b>{e(_who(m))}:</b> "
        f'<div class="text">{markup.to_html(m.text)}</div></li>'
        for m in card.transcript
    )
    title = e(f"Conversation {card.conversation_id}")
    tried_section = f"<h2>Articles the bot tried</h2><ul>{tried}</ul>" if tried else ""
    asked = "".join(
        f"<li>{e(_mark(card, q))}{e(q.text)}: {e(what_the_bot_did(q))}</li>" for q in card.questions
    )
    if asked:
        tried_section = f"<h2>Questions</h2><ul>{asked}</ul>{tried_section}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1><dl>{facts}</dl>"
        f"{tried_section}<h2>Transcript</h2><ol>{rows}</ol></body></html>\n"
    )


def to_json(card: HandoffCard) -> str:
    """The card as JSON, lossless: :func:`from_json` gives the same card back."""
    document = {
        "format": JSON_FORMAT,
        "conversation_id": str(card.conversation_id),
        "customer": card.customer,
        "channel": card.channel,
        "language": card.language,
        "team": card.team,
        "reason": None if card.reason is None else card.reason.value,
        "reason_detail": card.reason_detail,
        "question": card.question,
        "tried": [
            {
                "article_id": t.article_id,
                "score": t.score,
                "outcome": t.outcome,
                "helpful": t.helpful,
            }
            for t in card.tried
        ],
        "requested_at": _time(card.requested_at),
        "waited_s": card.waited_s,
        "promised_wait_s": card.promised_wait_s,
        "promised_low_s": None if card.promise is None else card.promise.low_s,
        "promised_high_s": None if card.promise is None else card.promise.high_s,
        "promise_kept": card.promise_kept,
        "questions": [
            {
                "message_id": q.message_id,
                "text": q.text,
                "bot_did": q.bot_did.value,
                "article_id": q.article_id,
                "team": q.team,
                "helped": q.helped,
                "needs_person": q.needs_person,
            }
            for q in card.questions
        ],
        "handoff_question": card.handoff_question,
        "rating": card.rating,
        "transcript": [_message_out(m) for m in card.transcript],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str) -> HandoffCard:
    """Read a card written by :func:`to_json`.

    Raises:
        ValueError: not JSON, another format, or a field is missing or malformed.
    """
    try:
        doc = json.loads(text)
        if doc.get("format") != JSON_FORMAT:
            raise ValueError(f"not a {JSON_FORMAT} document: format {doc.get('format')!r}")
        return HandoffCard(
            conversation_id=UUID(doc["conversation_id"]),
            customer=doc["customer"],
            channel=doc["channel"],
            language=doc["language"],
            team=doc["team"],
            reason=None if doc["reason"] is None else HandoffReason(doc["reason"]),
            reason_detail=doc["reason_detail"],
            question=doc["question"],
            tried=tuple(
                TriedArticle(t["article_id"], t["score"], t["outcome"], t["helpful"])
                for t in doc["tried"]
            ),
            requested_at=_parse_time(doc["requested_at"]),
            waited_s=doc["waited_s"],
            promised_wait_s=doc["promised_wait_s"],
            rating=doc["rating"],
            transcript=tuple(_message_in(m) for m in doc["transcript"]),
            # Exports written before promised ranges were kept have none.
            promise=(
                None
                if doc.get("promised_low_s") is None or doc.get("promised_high_s") is None
                else Promise(int(doc["promised_low_s"]), int(doc["promised_high_s"]))
            ),
            promise_kept=doc.get("promise_kept"),
            questions=tuple(
                Question(
                    int(q["message_id"]),
                    q["text"],
                    BotDid(q["bot_did"]),
                    article_id=q["article_id"],
                    team=q["team"],
                    helped=q["helped"],
                    needs_person=bool(q["needs_person"]),
                )
                for q in doc.get("questions") or ()
            ),
            handoff_question=doc.get("handoff_question"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed transcript export: {exc!r}") from exc


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": str(message.conversation_id),
        "seq": message.seq,
        "sender": message.sender.value,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "agent_id": message.agent_id,
        "agent_name": message.agent_name,
        "external_id": message.external_id,
        "reply_to": message.reply_to,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "meta": message.meta,
        "delivery": message.delivery.value,
        "delivery_error": message.delivery_error,
    }


def _message_in(data: dict[str, Any]) -> Message:
    return Message(
        id=data["id"],
        conversation_id=UUID(data["conversation_id"]),
        seq=data["seq"],
        sender=SenderKind(data["sender"]),
        text=data["text"],
        created_at=datetime.fromisoformat(data["created_at"]),
        agent_id=data["agent_id"],
        agent_name=data["agent_name"],
        external_id=data["external_id"],
        reply_to=data["reply_to"],
        buttons=tuple(Button(title=b["title"], payload=b["payload"]) for b in data["buttons"]),
        meta=dict(data["meta"]),
        delivery=DeliveryStatus(data["delivery"]),
        delivery_error=data["delivery_error"],
    )
