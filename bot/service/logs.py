"""How the service logs: readable lines for people, or one JSON object per line for machines.

With ``log_format = "json"`` every record becomes one line such as::

    {"time": "2026-03-02T09:15:04.120Z", "level": "INFO", "logger": "bot.runtime.core",
     "message": "handoff conversation=... reason=customer_asked team=it-support",
     "conversation_id": "..."}

Fields given with ``extra=`` (a conversation id, an agent id) become fields of their own,
so a log pipeline can select on them. Customer and agent texts are never logged at INFO:
log lines say what happened to which conversation, not what anybody wrote.

Secrets are never logged: the HTTP client's loggers, which write every request URL (and a
Bot API URL holds the bot token), log warnings only, at every level; and every secret of the
deployment that still turns up in a line (a URL in an error, a traceback) is replaced by
``[secret]`` before the line is written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

#: How ``text`` lines look.
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers that say something at INFO every few seconds in normal operation (APScheduler's
#: executor logs each run of the timer tick twice, every 5 s): they log warnings and
#: errors only, unless the service logs at DEBUG.
CHATTY_LOGGERS = ("apscheduler.executors.default",)
#: Loggers that write request URLs, and so the bot token: warnings and errors only, always.
SECRET_BEARING_LOGGERS = ("httpx", "httpcore")
#: What a secret is replaced with in a log line.
REDACTED = "[secret]"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (exceptions included as ``exception``)."""
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Formats with another formatter, then replaces every known secret in the line.

    Working on the finished line covers the message, the extras and any traceback alike.
    """

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        # JSON lines escape quotes and backslashes, so the escaped form is looked for too;
        # longest first, so a secret that contains another is replaced whole.
        forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line with each secret replaced by :data:`REDACTED`."""
        line = self._inner.format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


def configure_logging(
    level: str,
    log_format: Literal["text", "json"] = "text",
    *,
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> logging.Handler:
    """Send every log record to ``stream`` (default stderr) in the chosen format.

    Replaces the root logger's handlers, so calling it again reconfigures instead of
    doubling the output.

    Args:
        level: the least level logged, e.g. ``"INFO"``.
        log_format: ``"text"`` for people, ``"json"`` for one JSON object per line.
        stream: where the lines go.
        secrets: values that must never appear in a line (tokens, passwords).

    Returns:
        The handler now installed on the root logger.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    inner = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    chatty_level = logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
    for name in SECRET_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
