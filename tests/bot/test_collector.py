"""The service's long-lived objects are kept out of the collector's full collections.

The effect (the web chat's p99 under load) is measured by ``benchmarks/load/run.py``
(docs/performance.md, "The collector"); these tests pin what :func:`settle` promises.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service import collector
from bot.service.composition import build_service
from bot.settings.model import Settings

from .test_knowledge_reload import PRINTER


class Node:
    """An object that can hold a reference to itself (a cycle) and be weakly referenced."""

    partner: Node | None = None


@pytest.fixture(autouse=True, scope="module")
def settled_again() -> Iterator[None]:
    """After these tests the worker's objects are settled again, as tests/conftest.py left
    them once the test modules were imported: the tests below unfreeze and refreeze, which
    leaves their own objects frozen. (Once for the module: each settle walks every object
    of the worker.)"""
    yield
    collector.settle()


def test_the_test_workers_collect_with_their_imports_settled() -> None:
    # tests/conftest.py: no collection while importing, then settled, then collecting again.
    assert gc.isenabled()
    assert gc.get_threshold()[0] == 5_000
    assert gc.get_freeze_count() > 100_000


def in_oldest_generation(thing: object) -> bool:
    return any(candidate is thing for candidate in gc.get_objects(generation=2))


def test_settled_objects_are_left_out_of_full_collections() -> None:
    long_lived = Node()
    gc.collect()
    assert in_oldest_generation(long_lived)

    collector.settle()

    assert not in_oldest_generation(long_lived)
    assert gc.get_freeze_count() > 0


def test_a_cycle_dropped_after_a_settle_is_freed_by_the_next_one() -> None:
    dropped = Node()
    dropped.partner = dropped  # only the collector can free a cycle
    alive = weakref.ref(dropped)
    collector.settle()
    del dropped

    gc.collect()
    assert alive() is not None, "a settled object is not looked at by collections"

    collector.settle()
    assert alive() is None


async def test_a_reloaded_knowledge_is_settled_once_it_serves(
    settings: Settings, knowledge_dir: Path
) -> None:
    settled = asyncio.Event()
    loop = asyncio.get_running_loop()
    service = await build_service(
        settings, after_reload=lambda: loop.call_soon_threadsafe(settled.set)
    )
    try:
        (knowledge_dir / "printer.en.md").write_text(PRINTER, "utf-8")

        await asyncio.wait_for(settled.wait(), timeout=60)

        assert len(service.knowledge().knowledge) == 6
    finally:
        await service.close()
