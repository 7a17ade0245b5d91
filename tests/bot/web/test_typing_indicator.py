"""Who is typing to a customer: a ping counts for a while, a sent reply ends it."""

from __future__ import annotations

from bot.channels.web.typing_indicator import TypingRegistry
from tests.bot.clocks import HandClock


def test_a_ping_names_the_agent() -> None:
    registry = TypingRegistry(ttl_s=5, clock=HandClock(50.0))
    registry.ping(7, "Maria")
    assert registry.who(7) == "Maria"


def test_a_ping_is_for_one_customer_only() -> None:
    registry = TypingRegistry(ttl_s=5, clock=HandClock(50.0))
    registry.ping(7, "Maria")
    assert registry.who(8) is None


def test_a_ping_expires() -> None:
    clock = HandClock(50.0)
    registry = TypingRegistry(ttl_s=5, clock=clock)
    registry.ping(7, "Maria")
    clock.now += 5
    assert registry.who(7) is None


def test_stop_ends_the_typing_at_once() -> None:
    registry = TypingRegistry(ttl_s=5, clock=HandClock(50.0))
    registry.ping(7, "Maria")
    registry.stop(7)
    assert registry.who(7) is None
