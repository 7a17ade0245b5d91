"""What a staff topic shows: its title, the handoff card, and transcript lines. Pure.

The card is the desk's :class:`~handoff.card.HandoffCard` (the one the console shows),
rendered as compact text for a forum topic read on a phone. What the bot and the agents
wrote is Markdown; it is shown formatted (Telegram entities), as the customer saw it, never
as raw ``**stars**``. The customer's own words and the card's facts stay plain text.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from bot.channels.telegram.formatting import FormattedText, join_formatted, markdown_to_telegram
from handoff.card import HandoffCard, TriedArticle
from handoff.model import Conversation, ConversationState, Message, SenderKind
from handoff.reasons import describe_reason

MAX_TITLE_CHARS = 128  # Telegram's limit for a forum topic name
TRANSCRIPT_TAIL = 30  # messages a card shows; the console has the rest
USAGE = (
    "Reply here to answer the customer. /take, /back, /done, "
    "/transfer LOGIN or /transfer team:ID, /note TEXT (staff only)."
)
#: Who writes Markdown: articles (the bot) and agents' replies; customers write plain text.
_WRITES_MARKDOWN = frozenset({SenderKind.BOT, SenderKind.AGENT})
_SENDER_LABEL = {
    SenderKind.CUSTOMER: "Customer",
    SenderKind.BOT: "Bot",
    SenderKind.SYSTEM: "System",
}


def topic_title(conversation: Conversation, customer_name: str, agent_name: str | None) -> str:
    """A topic's name: status, customer and (when taken) agent."""
    status = {
        ConversationState.QUEUED: "Waiting",
        ConversationState.AGENT: f"With {agent_name or 'agent'}",
        ConversationState.BOT: "Resolved" if conversation.closed_at else "With the bot",
    }[conversation.state]
    return f"[{status}] {customer_name}"[:MAX_TITLE_CHARS]


def transcript_line(message: Message) -> FormattedText:
    """One transcript message as it appears in a topic."""
    text = message.edited_text or message.text
    if message.meta.get("internal"):
        return FormattedText(f"Note from {message.agent_name or 'an agent'}: {text}")
    who = message.agent_name if message.sender is SenderKind.AGENT else None
    label = who or _SENDER_LABEL.get(message.sender, message.sender.value)
    edited = " (edited)" if message.edited_text is not None else ""
    if message.sender in _WRITES_MARKDOWN:
        return join_formatted([f"{label}{edited}: ", markdown_to_telegram(text)])
    return FormattedText(f"{label}{edited}: {text}")


def card_text(
    card: HandoffCard, *, tail: int = TRANSCRIPT_TAIL, time_zone: tzinfo = UTC
) -> FormattedText:
    """The card as a topic's first message: the facts, what the bot tried, how to act,
    then the last ``tail`` messages of the transcript. The handoff's time is on the
    deployment's clock (``time_zone``) with the zone's name."""
    lines = [f"{card.customer} ({card.channel}, {card.language or 'language unknown'})"]
    if card.reason is not None:
        lines.append(f"Why: {describe_reason(card.reason, card.reason_detail)}")
        lines.append(f"Question: {card.question or '-'}")
    if card.requested_at is not None:
        handed = card.requested_at.astimezone(time_zone)
        lines.append(f"Handed off: {handed:%Y-%m-%d %H:%M} {handed.tzname()}")
    lines.append(f"Team: {card.team or 'none'}; waited {_duration(card.waited_s)}")
    if card.tried:
        lines.append("Bot tried: " + "; ".join(_tried(article) for article in card.tried))
    if card.rating is not None:
        lines.append(f"Satisfaction: {card.rating}/5")
    lines += [USAGE, ""]
    parts: list[FormattedText | str] = ["\n".join(lines) + "\n"]
    shown = card.transcript[-tail:] if tail else []
    earlier = len(card.transcript) - len(shown)
    head = f"Transcript ({earlier} earlier messages in the console):" if earlier else "Transcript:"
    parts.append(head)
    for message in shown:
        parts += ["\n", transcript_line(message)]
    return join_formatted(parts)


def _tried(article: TriedArticle) -> str:
    score = "" if article.score is None else f" {article.score:.2f}"
    verdict = {None: "", True: ", helped", False: ", did not help"}[article.helpful]
    return f"{article.article_id} ({article.outcome}{score}{verdict})"


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 60} min {seconds % 60:02d} s"
