"""JSON log lines: one object per line with the standard fields and the extras."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Literal

import pytest

from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from bot.service.logs import REDACTED, JsonFormatter, configure_logging
from bot.settings.model import load_settings


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own writing JSON lines into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"helpline.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, buffer
    logger.removeHandler(handler)


def parsed(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_record_is_one_json_object_with_the_standard_fields(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = lines
    logger.info("handoff conversation=%s", "c-1")
    (entry,) = parsed(buffer)
    assert {k: entry[k] for k in ("level", "logger", "message")} == {
        "level": "INFO",
        "logger": logger.name,
        "message": "handoff conversation=c-1",
    }
    assert str(entry["time"]).endswith("Z")


def test_extra_fields_become_fields_of_their_own(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = lines
    logger.warning("delivery failed", extra={"conversation_id": "c-2", "channel": "telegram"})
    (entry,) = parsed(buffer)
    assert (entry["conversation_id"], entry["channel"]) == ("c-2", "telegram")


def test_an_exception_stays_inside_its_one_line(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, buffer = lines
    try:
        raise RuntimeError("the database went away")
    except RuntimeError:
        logger.exception("health check failed")
    (entry,) = parsed(buffer)
    assert "RuntimeError: the database went away" in str(entry["exception"])


def test_configure_logging_installs_one_json_handler_on_the_root() -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    buffer = io.StringIO()
    try:
        configure_logging("INFO", "json", stream=buffer)
        configure_logging("INFO", "json", stream=buffer)  # again: reconfigures, no doubling
        logging.getLogger("helpline.test").info("started")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
    assert [json.loads(line)["message"] for line in buffer.getvalue().splitlines()] == ["started"]


async def test_the_runtime_logs_a_handoff_without_what_the_customer_wrote(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my badge number is 7731-secret, please get me a person"
    caplog.set_level(logging.INFO, logger="bot")
    await runtime.handle(
        IncomingMessage(channel="web", sender_id="alice", external_id="m1", text=secret)
    )
    formatted = [JsonFormatter().format(record) for record in caplog.records]
    assert any("conversation_id" in json.loads(line) for line in formatted)
    assert not any("7731-secret" in line for line in formatted)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Give back the root logger's level and handlers, and the scheduler's level, after."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    logging.getLogger("apscheduler.executors.default").setLevel(logging.NOTSET)


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_the_scheduler_does_not_log_every_timer_tick_unless_debugging(
    level: str, shown: bool
) -> None:
    buffer = io.StringIO()
    configure_logging(level, "text", stream=buffer)
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "TimerScheduler._tick"')
    executor.warning("Run time of job was missed")
    output = buffer.getvalue()
    assert ("Running job" in output, "Run time of job was missed" in output) == (shown, True)


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_secret_in_a_line_is_replaced_also_in_tracebacks(
    log_format: Literal["text", "json"],
) -> None:
    buffer = io.StringIO()
    secret = 'pa"ss\\word'
    configure_logging("INFO", log_format, stream=buffer, secrets=["123:TOKEN", secret])
    logger = logging.getLogger("helpline.test")
    logger.warning("POST https://api.telegram.org/bot123:TOKEN/sendMessage failed")
    try:
        raise ConnectionError(f"could not log in with {secret}")
    except ConnectionError:
        logger.exception("database")
    output = buffer.getvalue()
    assert ("123:TOKEN" in output, "pa" in output and "word" in output) == (False, False)
    assert output.count(REDACTED) == 2


def test_the_settings_name_every_secret_and_the_banner_url_hides_the_password() -> None:
    settings = load_settings(
        search_config=False,
        environ={},
        database_url="postgresql+psycopg://helpline:s3cr%40t@db.example.org/helpline",
        telegram_token="42:ABC",
        secret_key="cookie-key",
        smtp_host="smtp.example.org",
        smtp_password="mail-pass",
        mail_from="support@example.org",
        public_url="https://help.example.org",
    )
    assert {"42:ABC", "cookie-key", "s3cr@t", "s3cr%40t", "mail-pass"} <= set(settings.secrets())
    assert "s3cr" not in settings.shown_database_url()
    assert "db.example.org" in settings.shown_database_url()
