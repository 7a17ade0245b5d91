"""The customer chat API against schemathesis: generated requests never get a 5xx.

The app's own OpenAPI schema (what FastAPI would serve as ``/openapi.json``; Helpline does
not serve it) drives schemathesis over real HTTP to the real service. Every operation in the
schema is fuzzed twice: with a valid conversation token (so requests reach the runtime and
the database) and with whatever ``Authorization`` header schemathesis makes up; each with
data that fits the schema and data that does not.

The console and admin routes are not in the schema (``include_in_schema=False``: HTML forms
behind a session and CSRF token); ``tests/bot/web/test_security.py`` covers them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from bot.channels.web import create_app
from bot.service.composition import Service
from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer

pytestmark = pytest.mark.long

#: Every operation of the chat API; a test below checks that the schema has no others.
OPERATIONS = [
    ("POST", "/api/chat/session"),
    ("POST", "/api/chat/messages"),
    ("POST", "/api/chat/attachments"),
    ("GET", "/api/chat/messages"),
    ("POST", "/api/chat/events/ticket"),
    ("GET", "/api/chat/events"),
    ("POST", "/api/chat/typing"),
    ("POST", "/api/chat/resume"),
    ("POST", "/api/chat/email"),
]
EXAMPLES = 50


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment with a flood limit the fuzzer does not reach."""
    return web_settings.model_copy(update={"web_flood_messages": 100_000})


@pytest.fixture
def schema(service: Service) -> Any:
    """The chat API's OpenAPI schema, as FastAPI builds it from the routes."""
    return schemathesis.openapi.from_dict(create_app(service).openapi())


def test_the_schema_lists_exactly_the_chat_api(service: Service) -> None:
    paths = create_app(service).openapi()["paths"]
    listed = [(method.upper(), path) for path, ops in paths.items() for method in ops]
    assert sorted(listed) == sorted(OPERATIONS)


#: (mode, token) pairs each operation is fuzzed with.
VARIANTS = [
    (GenerationMode.POSITIVE, "valid"),
    (GenerationMode.NEGATIVE, "valid"),
    (GenerationMode.POSITIVE, "generated"),
    (GenerationMode.NEGATIVE, "generated"),
]
#: Operations whose only input is the optional Authorization header: schemathesis has no
#: invalid data to make for them, so they are fuzzed with valid data only.
ONLY_A_TOKEN = {("POST", "/api/chat/events/ticket"), ("POST", "/api/chat/typing")}


def fuzz(operation: Any, base_url: str, variants: list[tuple[GenerationMode, Any]]) -> None:
    """Send generated requests for one operation; fail on the first 5xx."""
    with requests.Session() as session:
        for mode, headers in variants:

            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
            @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
            def send(case: Case[Any]) -> None:
                case.call_and_validate(
                    base_url=base_url, session=session, checks=[not_a_server_error], timeout=10
                )

            send()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
async def test_generated_requests_get_no_server_error(
    schema: Any, base_url: str, customer: ChatCustomer, method: str, path: str
) -> None:
    tokens = {"valid": customer.headers, "generated": None}
    variants = [
        (mode, tokens[token])
        for mode, token in VARIANTS
        if mode is GenerationMode.POSITIVE or (method, path) not in ONLY_A_TOKEN
    ]
    # schemathesis calls are blocking; the server runs in this event loop, so they run in
    # a thread of their own.
    await asyncio.to_thread(fuzz, schema[path][method], base_url, variants)


# Regressions: what schemathesis (and reading the routes it pointed at) found --------------


@pytest.mark.parametrize("after", [2**63, 10**30])
async def test_a_message_id_past_64_bits_is_refused_with_422(
    customer: ChatCustomer, after: int
) -> None:
    response = await customer.client.get(
        "/api/chat/messages", params={"after": after}, headers=customer.headers
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "last_event_id",
    [b"\xb2", b"9" * 5000, b"99999999999999999999"],
    ids=["latin-1 digit", "5000 digits", "past 64 bits"],
)
@pytest.mark.real_socket  # an event stream over a real connection
async def test_a_stream_opens_whatever_the_last_event_id(
    customer: ChatCustomer, last_event_id: bytes
) -> None:
    ticket = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    params = {"ticket": ticket.json()["ticket"]}
    headers = {b"Last-Event-ID": last_event_id}
    async with customer.client.stream(
        "GET", "/api/chat/events", params=params, headers=headers
    ) as stream:
        first = await anext(stream.aiter_lines())
    assert (stream.status_code, first) == (200, ": connected")
