"""The bot's rasa-sdk actions: in-process through the executor and over a real action server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.dialogue.actions import (
    ACTION_MAX_BODY_BYTES,
    RasaActionRunner,
    build_executor,
    inflated_size_exceeds,
    webhook_payload,
)
from bot.dialogue.answer_policy import Thresholds
from bot.dialogue.phrases import Phrases
from bot.dialogue.turns import ACTION_ANSWER, ACTION_HAND_OFF, ACTION_NOTICE, TurnState
from bot.errors import ActionFailed
from bot.service.composition import KnowledgeHolder, load_snapshot
from bot.settings.model import Settings
from tests.bot.conftest import write_articles

THRESHOLDS = Thresholds(answer=0.45, clarify_margin=0.04)


@pytest.fixture
def runner(settings: Settings) -> RasaActionRunner:
    executor = build_executor(KnowledgeHolder(load_snapshot(settings)), Phrases(), THRESHOLDS)
    return RasaActionRunner(executor)


async def test_the_answer_action_sets_slots_and_utters_the_article(
    runner: RasaActionRunner,
) -> None:
    result = await runner.run(ACTION_ANSWER, TurnState("c1", "how can I reset my password"))
    assert result.slots["kb_outcome"] == "answer"
    assert result.slots["article_id"] == "password-reset"
    assert result.slots["fallback_count"] == 0
    assert result.utterances[0].meta["article_id"] == "password-reset"


async def test_the_answer_action_counts_fallbacks(runner: RasaActionRunner) -> None:
    state = TurnState("c1", "recipe for pancakes", slots={"fallback_count": 1, "language": "en"})
    result = await runner.run(ACTION_ANSWER, state)
    assert result.slots == {"kb_outcome": "fallback", "fallback_count": 2}


async def test_the_handoff_action_names_the_team_and_position(runner: RasaActionRunner) -> None:
    state = TurnState(
        "c1", "human", slots={"queue_position": 3, "team_name": "IT support", "language": "en"}
    )
    result = await runner.run(ACTION_HAND_OFF, state)
    assert "IT support" in result.utterances[0].text
    assert "number 3" in result.utterances[0].text


async def test_the_notice_action_shows_each_notice_once(runner: RasaActionRunner) -> None:
    notices = [{"id": 1, "text": "old news"}, {"id": 2, "text": "Illness today"}]
    state = TurnState("c1", "hi", slots={"notices": notices, "notices_shown": [1]})
    result = await runner.run(ACTION_NOTICE, state)
    assert [u.text for u in result.utterances] == ["Illness today"]
    assert result.slots["notices_shown"] == [1, 2]


async def test_an_unknown_action_fails_clearly(runner: RasaActionRunner) -> None:
    with pytest.raises(ActionFailed, match="action_nope"):
        await runner.run("action_nope", TurnState("c1", "hi"))


async def test_the_executor_speaks_rasas_webhook_format(settings: Settings) -> None:
    executor = build_executor(KnowledgeHolder(load_snapshot(settings)), Phrases(), THRESHOLDS)
    payload = webhook_payload(ACTION_ANSWER, TurnState("c1", "I forgot my password"))
    result = await executor.run(payload)
    assert result is not None
    body = result.model_dump()
    assert {"event": "slot", "name": "article_id", "value": "password-reset"} in [
        {k: e[k] for k in ("event", "name", "value")} for e in body["events"]
    ]
    assert body["responses"][0]["custom"]["article_id"] == "password-reset"


# The real action server, over HTTP ---------------------------------------------------


LISTENING = re.compile(r"listening on (http://\S+)")
#: What Sanic logs once it has started and serves until a signal stops it.
WORKER_READY = re.compile(r"Worker ready \[\d+\]")


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``helpline actions`` on port 0, serving every test of this module (it keeps no state
    between requests); its address is the one it prints once it has bound the port."""
    folder = tmp_path_factory.mktemp("action-server")
    knowledge_dir = write_articles(folder / "knowledge")
    config = folder / "helpline.toml"
    config.write_text(f'[helpline]\nknowledge_dir = "{knowledge_dir}"\n', encoding="utf-8")
    env = {**os.environ, "HELPLINE_CONFIG": str(config)}
    output = folder / "output.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from bot.cli.main import main; main()",
                "actions",
                "--port",
                "0",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60

    def printed(pattern: re.Pattern[str]) -> re.Match[str]:
        while (found := pattern.search(output.read_text(errors="replace"))) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"action server did not start:\n{output.read_text()}")
            time.sleep(0.05)
        return found

    try:
        base = printed(LISTENING).group(1)
        # The port is bound and listening: this request waits until Sanic serves it.
        assert httpx.get(f"{base}/health", timeout=30).status_code == 200
        # Sanic may answer while it still runs its start-up (its SIGTERM handler not yet
        # settled in the loop it serves from); it logs WORKER_READY once it is.
        printed(WORKER_READY)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _post(base: str, body: Any) -> httpx.Response:
    return httpx.post(f"{base}/webhook", json=body, timeout=10)


def test_the_action_server_answers_rasas_webhook(action_server: str) -> None:
    response = _post(
        action_server, webhook_payload(ACTION_ANSWER, TurnState("c9", "vpn does not work at home"))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["responses"][0]["custom"]["article_id"] == "vpn-connect"
    assert any(e["name"] == "kb_outcome" and e["value"] == "answer" for e in body["events"])


def test_the_action_server_lists_the_actions(action_server: str) -> None:
    names = {a["name"] for a in httpx.get(f"{action_server}/actions", timeout=10).json()}
    assert names == {ACTION_ANSWER, ACTION_HAND_OFF, ACTION_NOTICE}


def test_the_action_server_refuses_an_unknown_action(action_server: str) -> None:
    response = _post(action_server, webhook_payload("action_nope", TurnState("c9", "secret")))
    assert response.status_code == 404
    assert "secret" not in response.text


def test_an_action_server_error_does_not_echo_the_conversation(action_server: str) -> None:
    body = webhook_payload(ACTION_ANSWER, TurnState("c9", "my secret words"))
    body["tracker"]["latest_message"] = "my secret words"  # rasa-sdk's Tracker breaks on it
    response = _post(action_server, body)
    assert response.status_code == 500
    assert "my secret words" not in response.text


MARKER = "Anna-Berg-4711-in-my-own-words"


def _with_marker(action: str) -> dict[str, Any]:
    """Rasa's webhook body for ``action`` with the marker wherever conversation text goes."""
    body = webhook_payload(action, TurnState(MARKER, MARKER, slots={"team_name": MARKER}))
    body["tracker"]["events"] = [{"event": "user", "text": MARKER}]
    return body


def _without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != field}


MALFORMED = [
    (b'{"sender_id": "' + MARKER.encode() + b'", "tracker": {', 400),
    (json.dumps([MARKER]).encode(), 500),
    (json.dumps(_with_marker("action_nope")).encode(), 404),
    (json.dumps(_without(_with_marker(ACTION_ANSWER), "tracker")).encode(), 500),
    (json.dumps(_without(_with_marker(ACTION_ANSWER), "domain")).encode(), 449),
]


@pytest.mark.parametrize(
    ("body", "status"),
    MALFORMED,
    ids=["not JSON", "not an object", "unknown action", "no tracker", "no domain"],
)
def test_a_malformed_request_is_refused_without_echoing_the_conversation(
    action_server: str, body: bytes, status: int
) -> None:
    response = httpx.post(
        f"{action_server}/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert (response.status_code, MARKER in response.text) == (status, False)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port``, read from the kernel's tables."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_action_server_binds_loopback_only(action_server: str) -> None:
    port = int(action_server.rsplit(":", 1)[1])
    # 0100007F is 127.0.0.1 as the kernel prints it (little-endian hex).
    assert _listening_addresses(port) == {"0100007F"}


def test_a_deflated_body_that_inflates_past_the_limit_is_refused(action_server: str) -> None:
    # 16 MB of spaces deflate to about 16 KB: rasa-sdk would have inflated all of it.
    bomb = zlib.compress(b" " * (16 * ACTION_MAX_BODY_BYTES))
    response = httpx.post(
        f"{action_server}/webhook",
        content=bomb,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413


def test_a_deflated_request_within_the_limit_is_answered(action_server: str) -> None:
    payload = webhook_payload(ACTION_ANSWER, TurnState("c9", "vpn does not work at home"))
    response = httpx.post(
        f"{action_server}/webhook",
        content=zlib.compress(json.dumps(payload).encode()),
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200


def test_a_body_over_the_limit_is_refused(action_server: str) -> None:
    body = b'{"next_action": "' + b"x" * ACTION_MAX_BODY_BYTES + b'"}'
    response = httpx.post(f"{action_server}/webhook", content=body, timeout=10)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("size", "exceeds"), [(ACTION_MAX_BODY_BYTES, False), (ACTION_MAX_BODY_BYTES + 1, True)]
)
def test_inflation_is_measured_to_the_byte(size: int, exceeds: bool) -> None:
    body = zlib.compress(b"a" * size)
    assert inflated_size_exceeds(body, ACTION_MAX_BODY_BYTES) is exceeds
