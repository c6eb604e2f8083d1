"""Progress reports and cancellation for long jobs, with no Qt in sight.

Long jobs are generators that yield Progress between items and check a CancelToken; the CLI
draws a text bar from them and the desktop app drives the same generator from a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


class CancelToken:
    """Set from any thread; jobs check it between items and stop cleanly."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass
class Progress:
    """Where a job stands. ``total`` is None while it is still unknown (e.g. walking folders)."""

    phase: str
    done: int = 0
    total: int | None = None
    started: float = field(default_factory=time.monotonic)
    current: str = ""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Items per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None when it cannot be told yet."""
        if self.total is None or self.done == 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


def run_to_end(
    job: Generator[Progress, None, T], on_progress: Callable[[Progress], None] | None = None
) -> T:
    """Drive a job generator to its end and return its result (what it ``return``-ed)."""
    while True:
        try:
            progress = next(job)
        except StopIteration as stop:
            result: T = stop.value
            return result
        if on_progress is not None:
            on_progress(progress)
