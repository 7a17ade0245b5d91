"""A monotonic clock the test moves by hand, for the parts that take ``clock=``."""

from __future__ import annotations


class HandClock:
    """Monotonic seconds that change only when the test sets ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
