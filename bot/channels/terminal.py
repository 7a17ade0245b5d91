"""`helpline chat`: talk to the bot in a terminal, through the same runtime as every channel."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from bot.errors import MessageRejected
from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from handoff.model import Message, SenderKind

PROMPT = "you> "


def _label(message: Message) -> str:
    if message.sender is SenderKind.AGENT:
        return message.agent_name or "agent"
    return "bot" if message.sender is SenderKind.BOT else "info"


def render(message: Message) -> str:
    """A message as the terminal shows it, with its buttons as numbered choices."""
    lines = [f"{_label(message)}> {message.text}"]
    lines.extend(f"   [{i}] {b.title}" for i, b in enumerate(message.buttons, start=1))
    return "\n".join(lines)


async def chat(
    runtime: Runtime,
    *,
    read_line: Callable[[], str | None],
    out: TextIO = sys.stdout,
    sender_id: str | None = None,
) -> None:
    """Run a conversation until end of input or ``/quit``.

    Typing the number of a button presses it. Replies from agents are shown when the next
    line is entered (the terminal has no push channel).
    """
    sender = sender_id or f"terminal:{getpass.getuser()}"
    buttons: list[tuple[str, str]] = []
    seen: set[int] = set()
    loop = asyncio.get_running_loop()
    while True:
        out.write(PROMPT)
        out.flush()
        line = await loop.run_in_executor(None, read_line)
        if line is None or line.strip() == "/quit":
            out.write("\n")
            return
        text, payload = line.strip(), None
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text, payload = buttons[int(text) - 1]
        try:
            handled = await runtime.handle(
                IncomingMessage(
                    channel="terminal",
                    sender_id=sender,
                    external_id=f"terminal:{uuid.uuid4()}",
                    text=text,
                    payload=payload,
                )
            )
        except MessageRejected:
            continue
        customer_id = handled.conversation.customer_id
        seen.add(handled.message.id)
        new = [
            m
            for m in await runtime.store.customer_messages(customer_id)
            if m.id not in seen and m.sender is not SenderKind.CUSTOMER
        ]
        for message in new:
            seen.add(message.id)
            out.write(render(message) + "\n")
            buttons = [(b.title, b.payload) for b in message.buttons]
        out.flush()


def read_stdin_line() -> str | None:
    """Read one line from standard input; None at end of input."""
    line = sys.stdin.readline()
    return line.rstrip("\n") if line else None
