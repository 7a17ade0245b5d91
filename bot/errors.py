"""The bot package's error tree."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error raised by the running service."""


class ConfigError(BotError):
    """The settings are invalid; the message names the setting or file.

    ``problems`` lists each invalid setting on its own (``helpline.toml:12: port: ...``)
    when there are several to report.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class DeliveryFailed(BotError):
    """A reply could not be delivered to the customer's channel."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"delivery on {channel} failed: {reason}")
        self.channel = channel
        self.reason = reason


class ActionFailed(BotError):
    """A rasa-sdk action could not be run."""

    def __init__(self, action_name: str, reason: str) -> None:
        super().__init__(f"action {action_name} failed: {reason}")
        self.action_name = action_name
        self.reason = reason


class MessageRejected(BotError):
    """An incoming message was refused before it was stored (empty, too large)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownSender(BotError):
    """A message came from a sender the channel said was registered, and is not (a web
    chat token of a customer since erased); nothing was stored."""
