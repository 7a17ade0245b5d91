"""CSRF on the console: every route that changes state refuses a missing or wrong token.

The routes are read from the application itself, so a route added later is covered
without anyone remembering to list it here.
"""

from __future__ import annotations

import uuid

from fastapi.routing import APIRoute, iter_route_contexts

from bot.channels.web import create_app
from bot.channels.web.console.session import require_csrf
from bot.service.composition import Service
from tests.bot.web.conftest import ConsoleAgent

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _console_routes(service: Service) -> list[APIRoute]:
    """Every console route of the application that changes state.

    FastAPI keeps included routers as a tree; ``iter_route_contexts`` walks all of it.
    """
    return [
        route
        for route in (
            context.original_route for context in iter_route_contexts(create_app(service).routes)
        )
        if isinstance(route, APIRoute)
        and route.path.startswith("/console")
        and route.methods & STATE_CHANGING
    ]


def _url(route: APIRoute) -> str:
    """The route's path with a plausible value in each parameter."""
    values = {
        param.name: str(uuid.uuid4()) if param.name == "conversation_id" else "1"
        for param in route.dependant.path_params
    }
    return route.path_format.format(**values)


def test_every_state_changing_console_route_depends_on_the_csrf_check(service: Service) -> None:
    routes = _console_routes(service)
    unguarded = [
        route.path
        for route in routes
        if require_csrf not in {dependency.call for dependency in route.dependant.dependencies}
    ]
    # Eighteen when this was written: the count only shows the routes were found at all.
    assert (len(routes) > 15, unguarded) == (True, [])


async def test_every_state_changing_console_route_refuses_a_missing_token(
    sofie: ConsoleAgent, service: Service
) -> None:
    answers = {
        (method, _url(route)): (await sofie.client.request(method, _url(route), data={}))
        for route in _console_routes(service)
        for method in route.methods & STATE_CHANGING
    }
    refused = {key: (r.status_code, r.json()["detail"]) for key, r in answers.items()}
    assert set(refused.values()) == {(403, "missing or wrong CSRF token")}


async def test_every_state_changing_console_route_refuses_a_wrong_token(
    sofie: ConsoleAgent, service: Service
) -> None:
    answers = {
        (method, _url(route)): (
            await sofie.client.request(method, _url(route), data={"csrf": "wrong"})
        )
        for route in _console_routes(service)
        for method in route.methods & STATE_CHANGING
    }
    refused = {key: (r.status_code, r.json()["detail"]) for key, r in answers.items()}
    assert set(refused.values()) == {(403, "missing or wrong CSRF token")}


async def test_a_wrong_token_in_the_header_is_refused_too(
    sofie: ConsoleAgent, service: Service
) -> None:
    response = await sofie.client.post(
        "/console/presence",
        data={"csrf": sofie.csrf, "presence": "online"},
        headers={"X-CSRF-Token": "wrong"},
    )
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "missing or wrong CSRF token",
    )
