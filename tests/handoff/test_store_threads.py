"""The store's worker threads: calls run off the event loop and hand back their outcome."""

from __future__ import annotations

import asyncio
import threading

import pytest

from handoff.store.threads import WorkerThreads


async def test_a_call_runs_in_a_worker_thread_and_returns_its_result() -> None:
    threads = WorkerThreads(1, name="test-worker")
    try:
        name = await threads.run(lambda: threading.current_thread().name)
    finally:
        threads.shutdown()

    assert name == "test-worker_0"


async def test_a_call_that_raises_raises_in_the_caller() -> None:
    threads = WorkerThreads(1, name="test-worker")
    try:
        with pytest.raises(ZeroDivisionError):
            await threads.run(lambda: 1 / 0)
    finally:
        threads.shutdown()


async def test_calls_of_one_thread_run_one_at_a_time_in_order() -> None:
    threads = WorkerThreads(1, name="test-worker")
    seen: list[int] = []
    try:
        await asyncio.gather(*(threads.run(seen.append, number) for number in range(100)))
    finally:
        threads.shutdown()

    assert seen == list(range(100))


async def test_a_cancelled_caller_leaves_the_call_to_finish_and_the_threads_working() -> None:
    threads = WorkerThreads(1, name="test-worker")
    started, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(5)
        finished.append("slow")
        return "slow"

    try:
        waiting = asyncio.ensure_future(threads.run(slow))
        await asyncio.to_thread(started.wait, 5)
        waiting.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await threads.run(lambda: "next") == "next"
    finally:
        threads.shutdown()

    assert finished == ["slow"]
