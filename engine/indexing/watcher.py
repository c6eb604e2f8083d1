"""Keeps a library in sync with its folders while they change (watchdog events).

Events only mark paths as dirty. A worker thread waits until a path has been quiet for
``settle`` seconds and its size and time stopped changing (a photo still being copied is not
read), then indexes, forgets or re-lists it in batches through the same Scanner a scan uses, so
a burst of 10,000 files is handled like a scan of their folders. On start it first reconciles
the library with the disk. A root that disappears (an unplugged drive) keeps its records and is
picked up again when it comes back.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver

from twinlens.engine.config import EngineConfig
from twinlens.engine.errors import LibraryError, LibraryReason
from twinlens.engine.media.files import is_photo_name, is_under
from twinlens.engine.paths import shown
from twinlens.engine.progress import run_to_end
from twinlens.engine.storage.store import PhotoRow, Store

from .scanner import Scanner, ScanSummary

log = logging.getLogger(__name__)


@dataclass
class LibraryChange:
    """What one round of syncing did, for the UI or the ``watch`` command to show."""

    indexed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    reconciled: bool = False

    def __bool__(self) -> bool:
        return bool(self.indexed or self.removed or self.errors or self.reconciled)

    def describe(self) -> list[str]:
        """One line per change, for a person (names made safe to print: paths.shown)."""
        lines = ["reconciled the library with the disk"] if self.reconciled else []
        lines += [f"indexed  {shown(p)}" for p in self.indexed]
        lines += [f"removed  {shown(p)}" for p in self.removed]
        lines += [f"error    {shown(p)}: {reason}" for p, reason in self.errors]
        return lines


@dataclass
class _Dirty:
    first: float
    last: float
    stat: tuple[int, int] | None = None


class Watcher:
    """Follows a library's roots until ``stop()``; calls ``on_change`` from its own thread."""

    def __init__(
        self,
        store: Store,
        scanner: Scanner,
        roots: Iterable[Path],
        on_change: Callable[[LibraryChange], None],
        settle: float = 1.0,
        config: EngineConfig | None = None,
    ) -> None:
        self.store = store
        self.scanner = scanner
        self.roots = [Path(r) for r in roots]
        self.on_change = on_change
        self.settle = settle
        self.config = config or EngineConfig()
        self._dirty: dict[str, _Dirty] = {}
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._busy = False
        self._watched: set[Path] = set()
        self._observer: BaseObserver | None = None
        self._thread = threading.Thread(target=self._run, name="twinlens-watch", daemon=True)
        self.failure: LibraryError | None = None
        """Why the watcher stopped by itself (the library can no longer be written)."""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Watcher:
        from watchdog.observers import Observer

        observer = Observer()
        observer.daemon = True
        self._observer = observer
        self._schedule_present_roots()
        observer.start()
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following events; waits for the batch in progress to be written."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        self._thread.join(timeout)

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is dirty or being processed (tests and scripts)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._dirty or self._busy or not self._started:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.1))
        return True

    _started = False

    # -- events ----------------------------------------------------------------------------

    def saw(self, path: Path | str) -> bool:
        """Whether an event for ``path`` has arrived and not been synced yet."""
        with self._lock:
            return str(path) in self._dirty

    def mark_dirty(self, path: str) -> None:
        """Called from watchdog's thread for every created, changed, moved or deleted path."""
        now = time.monotonic()
        with self._lock:
            entry = self._dirty.get(path)
            if entry is None:
                self._dirty[path] = _Dirty(now, now)
            else:
                entry.last = now
            self._lock.notify_all()

    def _schedule_present_roots(self) -> None:
        assert self._observer is not None
        handler = _Handler(self)
        for root in self.roots:
            if root in self._watched or not root.is_dir():
                continue
            self._observer.schedule(handler, str(root), recursive=True)
            self._watched.add(root)

    # -- worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._reconcile(self.roots, first=True)
        except LibraryError as exc:
            if exc.reason is not LibraryReason.LOCKED:
                self.failure = exc
                self._stop.set()
        except Exception:  # the library keeps being watched even if the first pass failed
            log.exception("could not reconcile the library with its folders")
        with self._lock:
            self._started = True
            self._lock.notify_all()
        next_root_check = time.monotonic() + 5.0
        while not self._stop.is_set():
            ready = self._take_ready()
            if ready:
                self._process(ready)
            elif time.monotonic() > next_root_check:
                try:
                    self._check_returning_roots()
                except Exception:
                    log.exception("could not pick up a folder that came back")
                next_root_check = time.monotonic() + 5.0
            else:
                with self._lock:
                    self._lock.wait(min(0.25, self.settle / 2))

    def _take_ready(self) -> list[str]:
        """Paths quiet for ``settle`` seconds whose size and time did not move meanwhile."""
        now = time.monotonic()
        ready = []
        with self._lock:
            for path, entry in list(self._dirty.items()):
                if now - entry.last < self.settle:
                    continue
                stat = _quick_stat(path)
                if stat is not None and stat != entry.stat:
                    entry.stat, entry.last = stat, now  # still growing: look again later
                    continue
                ready.append(path)
                del self._dirty[path]
            self._busy = bool(ready)
        return ready

    def _process(self, paths: list[str]) -> None:
        try:
            change = self._sync(paths)
            if change:
                self.on_change(change)
        except LibraryError as exc:
            if exc.reason is LibraryReason.LOCKED:  # another writer held on: try again later
                for path in paths:
                    self.mark_dirty(path)
            else:  # damaged, full, read-only: following changes would only lose them
                self.failure = exc
                self._stop.set()
        except Exception:  # the watcher must survive anything one batch throws
            log.exception("could not sync %d changed paths", len(paths))
        finally:
            with self._lock:
                self._busy = False
                self._lock.notify_all()

    def _sync(self, paths: list[str]) -> LibraryChange:
        change = LibraryChange()
        gone = [p for p in paths if not os.path.lexists(p)]
        present = [Path(p) for p in paths if os.path.lexists(p)]
        change.removed = self._forget(gone)
        targets = _collapse(present, self.config.watch_folder_batch)
        if targets:
            before = self._rows_under(targets)
            _run_scan(self.scanner, targets)
            after = self._rows_under(targets)
            change.removed += [p for p in before if p not in after]
            for path, row in after.items():
                if row.status == "indexed" and before.get(path) != row:
                    change.indexed.append(path)
                elif row.status == "error" and self._recently_written(path):
                    self.mark_dirty(path)  # probably still being copied: try again later
                elif row.status == "error" and before.get(path) != row:
                    change.errors.append((path, row.reason or ""))
        return change

    def _recently_written(self, path: str) -> bool:
        """A file this fresh that fails to decode is probably still being copied."""
        try:
            return time.time() - os.stat(path).st_mtime < self.config.watch_retry_recent_s
        except OSError:
            return False

    def _rows_under(self, targets: list[Path]) -> dict[str, PhotoRow]:
        rows: dict[str, PhotoRow] = {}
        for target in targets:
            rows.update(self.store.photos_under(target))
        return rows

    def _forget(self, gone: list[str]) -> list[str]:
        """Drop records of deleted files and folders, never those of a vanished root."""
        removed: list[str] = []
        for path in gone:
            if not self._root_present(path):
                continue
            rows = self.store.photos_under(Path(path))
            removed += list(rows)
            self.store.forget_paths(list(rows))
        return removed

    def _root_present(self, path: str) -> bool:
        for root in self.roots:
            if is_under(path, root):
                return root.is_dir()
        return True

    def _reconcile(self, roots: list[Path], first: bool = False) -> None:
        present = [r for r in roots if r.is_dir()]
        if not present:
            return
        summary = _run_scan(self.scanner, present)
        change = LibraryChange(reconciled=True)
        change.errors = [(e.path, e.reason) for e in summary.errors if first]
        self.on_change(change)

    def _check_returning_roots(self) -> None:
        back = [r for r in self.roots if r not in self._watched and r.is_dir()]
        if back:
            self._schedule_present_roots()
            self._reconcile(back)


class _Handler(FileSystemEventHandler):
    """Turns every watchdog event into dirty paths (both ends of a move)."""

    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        kind = getattr(event, "event_type", "")
        if kind in ("opened", "closed_no_write"):
            return
        for attr in ("src_path", "dest_path"):
            path = os.fsdecode(getattr(event, attr, "") or "")
            if path and (getattr(event, "is_directory", False) or is_photo_name(path)):
                self.watcher.mark_dirty(path)
            elif path and kind in ("deleted", "moved") and not Path(path).suffix:
                self.watcher.mark_dirty(path)  # a folder may be reported as a plain delete


def _run_scan(scanner: Scanner, targets: list[Path]) -> ScanSummary:
    return run_to_end(scanner.scan(targets))


def _collapse(paths: list[Path], folder_batch: int) -> list[Path]:
    """Dirty files, or their folder when many changed in one (a burst is listed, not probed)."""
    by_folder: dict[Path, list[Path]] = defaultdict(list)
    folders = [p for p in paths if p.is_dir()]
    for path in paths:
        if not path.is_dir():
            by_folder[path.parent].append(path)
    targets = list(folders)
    for folder, files in by_folder.items():
        if any(is_under(str(folder), f) for f in folders):
            continue
        targets += [folder] if len(files) >= folder_batch else files
    return targets


def _quick_stat(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)
