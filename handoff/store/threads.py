"""Worker threads that run the store's synchronous units for the event loop.

``loop.run_in_executor`` on a ``ThreadPoolExecutor`` pays for generality on every call: two
locks, a ``concurrent.futures.Future`` with its condition variable, and a second future
chained to it. The per-message path makes three or four such calls per customer message,
so this pool does the least that works: a queue of (future, call) pairs, and the result
handed back with one ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class WorkerThreads:
    """A fixed number of daemon threads running calls for coroutines.

    Args:
        count: how many threads (started at once).
        name: the threads' name prefix (shown by py-spy and in thread dumps).
    """

    def __init__(self, count: int, *, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{number}", daemon=True)
            for number in range(count)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` in one of the threads and return (or raise) its outcome.

        If the awaiting coroutine is cancelled, the call still runs to its end (as with
        ``run_in_executor``); its outcome is dropped.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return await future

    def shutdown(self) -> None:
        """Let the threads finish the calls queued so far, then stop them."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, function, args = job
            try:
                result = function(*args)
            except BaseException as exc:
                _hand_back(loop, _fail, future, exc)
            else:
                _hand_back(loop, _succeed, future, result)


def _hand_back(
    loop: asyncio.AbstractEventLoop,
    settle: Callable[[asyncio.Future[Any], Any], None],
    future: asyncio.Future[Any],
    outcome: Any,
) -> None:
    # A closed loop raises RuntimeError: nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(settle, future, outcome)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # cancelled while the call ran
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
