"""The service's process entry point: the event loop it runs on."""

from __future__ import annotations

import asyncio

import uvloop

from bot.service.server import event_loop_factory


def test_the_service_runs_on_uvloop_where_it_is_installed() -> None:
    loop = event_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()
