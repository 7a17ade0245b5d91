"""`helpline agents`, `helpline handoff explain` and `helpline transcript export`, in-process.

Each test writes a settings file naming a real SQLite file; the commands open it as the
service would.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from handoff.export import from_json
from handoff.model import HandoffReason, NewMessage, SenderKind
from handoff.passwords import verify_password
from handoff.store.sql import SqlStore


@pytest.fixture
def config(tmp_path: Path, knowledge_dir: Path) -> Path:
    path = tmp_path / "helpline.toml"
    database = tmp_path / "desk.db"
    path.write_text(
        f'[helpline]\ndatabase_url = "sqlite+aiosqlite:///{database}"\n'
        f'knowledge_dir = "{knowledge_dir}"\n',
        encoding="utf-8",
    )
    return path


def _url(config: Path) -> str:
    return f"sqlite+aiosqlite:///{config.parent / 'desk.db'}"


def helpline(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], input=input)


def _add_maria(config: Path) -> Result:
    return helpline(
        config,
        "agents",
        "add",
        "mh-7",
        "--name",
        "Maria",
        "--team",
        "it-support",
        "--language",
        "da",
        "--hours",
        "mon-fri=09:00-17:00",
        input="s3cret\ns3cret\n",
    )


def test_agents_add_then_list(config: Path) -> None:
    assert _add_maria(config).exit_code == 0
    listed = helpline(config, "agents", "list")
    assert listed.exit_code == 0, listed.output
    assert "mh-7\tMaria\tteams=it-support\tlanguages=da\tcapacity=3\toffline" in listed.output
    assert "hours=mon 09:00-17:00; tue 09:00-17:00" in listed.output


def test_agents_add_refuses_a_login_spelled_like_the_name_customers_see(config: Path) -> None:
    result = helpline(config, "agents", "add", "maria.h", "--name", "María", input="s\ns\n")
    assert (result.exit_code, "the login must not contain it" in result.output) == (1, True)
    assert "no agents" in helpline(config, "agents", "list").output


def test_agents_set_refuses_a_name_the_login_contains(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "set", "mh-7", "--name", "MH 7")
    assert (result.exit_code, "the login must not contain it" in result.output) == (1, True)
    assert "mh-7\tMaria\t" in helpline(config, "agents", "list").output


def test_agents_add_refuses_mismatched_passwords(config: Path) -> None:
    result = helpline(config, "agents", "add", "mh-7", "--name", "Maria", input="a\nb\nc\nc\n")
    assert "do not match" in result.output


def test_agents_add_refuses_a_duplicate_login(config: Path) -> None:
    _add_maria(config)
    again = _add_maria(config)
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_agents_set_changes_only_what_is_given(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "set", "mh-7", "--capacity", "5", "--inactive")
    assert result.exit_code == 0, result.output
    listed = helpline(config, "agents", "list").output
    assert "teams=it-support\tlanguages=da\tcapacity=5\tdeactivated" in listed


def test_agents_set_refuses_bad_hours(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "set", "mh-7", "--hours", "mon=9-5")
    assert result.exit_code == 2
    assert "HH:MM" in result.output


def _telegram_agent_login(config: Path, user_id: int) -> str | None:
    async def find() -> str | None:
        store = await SqlStore.open(_url(config))
        try:
            agent = await store.agent_for_telegram_user(user_id)
        finally:
            await store.close()
        return None if agent is None else agent.login

    return asyncio.run(find())


def test_agents_set_registers_the_telegram_user(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "set", "mh-7", "--telegram-user", "424242")
    assert result.exit_code == 0, result.output
    assert _telegram_agent_login(config, 424242) == "mh-7"


def test_agents_set_telegram_user_none_removes_it(config: Path) -> None:
    _add_maria(config)
    helpline(config, "agents", "set", "mh-7", "--telegram-user", "424242")
    result = helpline(config, "agents", "set", "mh-7", "--telegram-user", "none")
    assert result.exit_code == 0, result.output
    assert _telegram_agent_login(config, 424242) is None


def test_agents_set_refuses_a_malformed_telegram_user(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "set", "mh-7", "--telegram-user", "@mh")
    assert result.exit_code == 2
    assert "not a Telegram user id" in result.output


def test_agents_passwd_replaces_the_password(config: Path) -> None:
    _add_maria(config)
    result = helpline(config, "agents", "passwd", "mh-7", input="n3w\nn3w\n")
    assert result.exit_code == 0, result.output

    async def stored_hash() -> str:
        store = await SqlStore.open(_url(config))
        found = await store.agent_credentials("mh-7")
        await store.close()
        assert found is not None
        return found[1]

    assert verify_password(asyncio.run(stored_hash()), "n3w")


def test_agents_passwd_of_an_unknown_login_fails(config: Path) -> None:
    helpline(config, "agents", "list")  # creates the database
    result = helpline(config, "agents", "passwd", "nobody", input="x\nx\n")
    assert result.exit_code == 1
    assert "no agent with login 'nobody'" in result.output


def _handed_off(config: Path, *, at: datetime | None = None, text: str = "this is useless") -> UUID:
    async def build() -> UUID:
        store = await (
            SqlStore.open(_url(config))
            if at is None
            else SqlStore.open(_url(config), clock=lambda: at)
        )
        customer = await store.upsert_customer(channel="web", external_id="w1", language="en")
        conversation = await store.open_conversation(customer.id)
        await store.append_message(
            conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text=text)
        )
        await store.request_handoff(
            conversation.id,
            reason=HandoffReason.FRUSTRATION,
            team="it-support",
            summary=text,
            detail="words: word 'useless'",
        )
        await store.close()
        return conversation.id

    return asyncio.run(build())


def test_handoff_explain_says_why(config: Path) -> None:
    conversation_id = _handed_off(config)
    result = helpline(config, "handoff", "explain", str(conversation_id))
    assert result.exit_code == 0, result.output
    assert "handed off: frustration" in result.output
    assert "why: the customer sounded frustrated (words: word 'useless')" in result.output
    assert "question: this is useless" in result.output


@pytest.mark.parametrize("command", [("handoff", "explain"), ("transcript", "export")])
def test_a_customers_control_characters_reach_the_terminal_escaped(
    config: Path, command: tuple[str, str]
) -> None:
    conversation_id = _handed_off(config, text="useless \x1b[2J\u202eevil")
    result = helpline(config, *command, str(conversation_id))
    assert (
        result.exit_code,
        "\x1b" in result.output or "\u202e" in result.output,
        ("useless \\u001b" in result.output, "\\u202eevil" in result.output),
    ) == (0, False, (True, True))


def test_handoff_explain_of_an_unknown_conversation_fails(config: Path) -> None:
    helpline(config, "agents", "list")
    result = helpline(config, "handoff", "explain", "00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 1
    assert "no conversation" in result.output


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("md", "**Reason:** frustration"), ("html", "<dt>Reason</dt>"), ("json", '"frustration"')],
)
def test_transcript_export_formats(config: Path, fmt: str, expected: str) -> None:
    conversation_id = _handed_off(config)
    result = helpline(config, "transcript", "export", str(conversation_id), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_transcript_export_json_reads_back(config: Path) -> None:
    conversation_id = _handed_off(config)
    result = helpline(config, "transcript", "export", str(conversation_id), "--format", "json")
    card = from_json(result.output)
    # The bot never tried to answer the words: they are no question it left unsolved.
    assert (card.conversation_id, card.question) == (conversation_id, None)
    assert json.loads(result.output)["transcript"][0]["text"] == "this is useless"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("handoff", "explain"), "2026-12-07 00:30:00 CET handed off: frustration"),
        (("transcript", "export"), "- `2026-12-07 00:30:00 CET` **customer:** this is useless"),
        (("transcript", "export", "--format", "html"), ">2026-12-07 00:30:00 CET</time>"),
    ],
)
def test_times_are_on_the_deployments_clock_across_midnight(
    config: Path, args: tuple[str, ...], expected: str
) -> None:
    # 23:30 UTC on 6 December is 00:30 on the 7th in Copenhagen: the local day, named.
    config.write_text(
        config.read_text(encoding="utf-8") + 'time_zone = "Europe/Copenhagen"\n', encoding="utf-8"
    )
    conversation_id = _handed_off(config, at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    result = helpline(config, *args[:2], str(conversation_id), *args[2:])
    assert result.exit_code == 0, result.output
    assert expected in result.output
