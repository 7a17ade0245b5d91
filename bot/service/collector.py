"""The garbage collector and the service's long-lived objects.

A full collection of CPython's collector walks every object it tracks. Building the
service leaves hundreds of thousands of them that live as long as the process: the
knowledge index and its model, the web application, SQLAlchemy's mappers, the libraries'
modules. Under load, full collections ran every few seconds and each walked all of them,
stalling the event loop for tens of milliseconds: they were most of the web chat's p99 at
250 messages a second (docs/performance.md, "The collector").

:func:`settle` moves the objects alive now into the permanent generation that collections
skip (:func:`gc.freeze`); reference counting still frees a frozen object when the last
reference to it goes, so only garbage in reference cycles waits for the next settle.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect once, then keep everything alive now out of later collections.

    Call it when the long-lived objects are built: before serving, and after a knowledge
    reload swapped in its new index. Each call first returns the previously settled
    objects to the collector, so that cycles a reload dropped (the old index) are freed;
    that one full collection is the only pause, once per start or reload.
    """
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.debug(
        "settled %d long-lived objects in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
