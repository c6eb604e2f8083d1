"""Runs engine work off the GUI thread, on the global QThreadPool.

Long jobs are the engine's own generators (they yield ``Progress`` and honour a
``CancelToken``) driven by a superqt GeneratorWorker; a Job relays their progress, result and
failure as Qt signals delivered on the GUI thread. Short calls (a search, a listing) go
through ``Jobs.call`` as plain runnables. Every worker is
tracked, so the window can wait for them on exit and tests can check none is left running.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from twinlens.engine import CancelToken, Progress

from .messages import duration_text, error_text

log = logging.getLogger(__name__)

_RELEASE_AFTER_S = 5.0

JobFactory = Callable[[CancelToken], Generator[Progress, None, Any]]


@dataclass(frozen=True)
class JobStatus:
    """What the job panel shows: words, and a fraction when the total is known."""

    text: str
    done: int
    total: int | None


def status_of(name: str, progress: Progress) -> JobStatus:
    """Progress in words: count, rate and time left."""
    if progress.total is None:
        text = f"{name}: looking for photos… {progress.done:,} found"
    else:
        text = (
            f"{name}: {progress.done:,} of {progress.total:,} photos"
            f" · {progress.rate:.0f} per second · {duration_text(progress.eta)}"
        )
    return JobStatus(text, progress.done, progress.total)


class Job(QObject):
    """One long engine generator running on a worker, with Cancel."""

    progressed = Signal(object)  # JobStatus
    succeeded = Signal(object)  # the generator's return value
    failed = Signal(str)  # the error in words
    ended = Signal()

    def __init__(self, name: str, factory: JobFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.token = CancelToken()

        # superqt is imported on the first long job: importing it costs 0.4 s of startup.
        from superqt.utils import GeneratorWorker

        def run() -> Generator[Progress, None, Any]:
            return (yield from factory(self.token))

        self.worker = GeneratorWorker(run)
        self.worker.yielded.connect(self._on_yielded)
        self.worker.returned.connect(self._on_returned)
        self.worker.errored.connect(self._on_errored)
        self.worker.finished.connect(lambda *_: self._on_finished())

    def start(self) -> None:
        self.worker.start()

    def cancel(self) -> None:
        """Ask the engine to stop between items; the job ends with what it finished."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    @Slot(object)
    def _on_yielded(self, progress: Progress) -> None:
        self.progressed.emit(status_of(self.name, progress))

    @Slot(object)
    def _on_returned(self, value: object) -> None:
        self.succeeded.emit(value)

    @Slot(object)
    def _on_errored(self, error: BaseException) -> None:
        log.error("%s failed", self.name, exc_info=error)
        self.failed.emit(error_text(error))

    @Slot()
    def _on_finished(self) -> None:
        self.ended.emit()


class _CallRunnable(QRunnable):
    """Runs one Call's function on the pool and hands the outcome back through its signals."""

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call

    def run(self) -> None:
        call = self.call
        try:
            value = call.func(*call.args)
        except Exception as exc:  # the app keeps working: the error is shown in words
            call._failed.emit(exc)
        else:
            call._returned.emit(value)
        finally:
            call._finished.emit()


class Call(QObject):
    """One short engine call on the pool; ``done`` or ``failed`` arrives on the GUI thread.

    A plain QRunnable (Picard's run_task), not a superqt worker: short calls start while the
    window opens, and superqt's import alone would add 0.4 s to startup.
    """

    done = Signal(object)
    failed = Signal(object)  # the exception, so callers can react to its type
    ended = Signal()
    _returned = Signal(object)
    _failed = Signal(object)
    _finished = Signal()

    def __init__(self, func: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        self.func, self.args = func, args
        self._returned.connect(self._on_returned)
        self._failed.connect(self._on_errored)
        self._finished.connect(self._on_finished)
        self.runnable = _CallRunnable(self)
        self.runnable.setAutoDelete(False)

    def start(self) -> None:
        QThreadPool.globalInstance().start(self.runnable)

    @Slot(object)
    def _on_returned(self, value: object) -> None:
        self.done.emit(value)

    @Slot(object)
    def _on_errored(self, error: BaseException) -> None:
        log.info("background call failed: %r", error)
        self.failed.emit(error)

    @Slot()
    def _on_finished(self) -> None:
        self.ended.emit()


class Jobs(QObject):
    """Every running job and call of the app."""

    job_started = Signal(object)  # Job
    idle = Signal()  # nothing is running any more

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: set[QObject] = set()
        # Ended items are released a while after they end, never inside their own signal:
        # the worker still emits its last internal signal just after ``finished``, and
        # freeing it before that arrives makes PySide fail ("Signal source has been deleted").
        self._ended: list[tuple[float, QObject]] = []
        self._closed = False

    def run(self, name: str, factory: JobFactory) -> Job:
        """Start a long job; the job panel shows it. After shutdown it is cancelled at once."""
        job = Job(name, factory)
        if self._closed:
            job.cancel()
        self._track(job)
        self.job_started.emit(job)
        job.start()
        return job

    def call(
        self,
        func: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Call | None:
        """Run ``func(*args)`` on a worker; ``done``/``failed`` are called on the GUI thread.

        After ``shutdown`` nothing new starts (a late signal must not touch a closed library).
        """
        if self._closed:
            return None
        call = Call(func, *args)
        if done is not None:
            call.done.connect(done)
        if failed is not None:
            call.failed.connect(failed)
        self._track(call)
        call.start()
        return call

    def jobs(self) -> list[Job]:
        return [j for j in self._running if isinstance(j, Job)]

    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for job in self.jobs():
            job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Cancel the jobs and wait for every worker (used on exit)."""
        self.cancel_all()
        return QThreadPool.globalInstance().waitForDone(msecs)

    def shutdown(self, msecs: int = 30_000) -> bool:
        """On exit: start nothing new, cancel the jobs and wait for every worker."""
        self._closed = True
        return self.wait(msecs)

    def _track(self, item: Job | Call) -> None:
        now = time.monotonic()
        self._ended = [(t, old) for t, old in self._ended if now - t < _RELEASE_AFTER_S]
        self._running.add(item)
        item.ended.connect(self._untrack)

    def _untrack(self) -> None:
        item = self.sender()
        self._running.discard(item)
        self._ended.append((time.monotonic(), item))
        if not self._running:
            self.idle.emit()
