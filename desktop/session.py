"""The open library as the app sees it: every engine call, on a worker, answered by a signal.

Widgets never hold the Library. They ask the session (``scan``, ``search_file``, ``trash``...)
and redraw when its signals arrive on the GUI thread; so the GUI thread never waits on the
disk, the database or the model, and errors reach one place (``message``) already in words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from twinlens.engine import (
    BatchReceipt,
    DuplicateGroup,
    Library,
    LibraryChange,
    PhotoEntry,
    ScanSummary,
    Watcher,
)

from .jobs import Job, Jobs
from .messages import error_text, name_text
from .watch_bridge import WatchBridge

log = logging.getLogger(__name__)

FIRST_PAGE = 400


class Session(QObject):
    """One open Library plus the jobs working on it."""

    photos_loaded = Signal(object, bool)  # list[PhotoEntry] in sort order; complete or first page
    folders_changed = Signal(object)  # list[Path]
    failed_loaded = Signal(object)  # list[PhotoEntry] that could not be read
    model_ready = Signal(str)  # inference provider, e.g. CPUExecutionProvider
    model_failed = Signal(str)  # why the model cannot be used, in words
    groups_loaded = Signal(object)  # list[DuplicateGroup], duplicates then similar shots
    search_done = Signal(object)  # SearchAnswer
    trashed = Signal(object)  # paths moved to the trash (objects: Qt strings lose bytes)
    restored = Signal(object)  # paths brought back by undo
    undo_changed = Signal(bool)
    library_changed = Signal(object)  # LibraryChange from the watcher
    rows_changed = Signal(object, object)  # {path: PhotoEntry} new or changed, [path] gone
    references_changed = Signal(object)  # list[Path]: folders whose photos are always kept
    keeper_settings = Signal(object, bool)  # keeper criteria in order, RAW+JPEG removable
    batch_done = Signal(object)  # BatchReceipt of a many-group removal
    scan_finished = Signal(object)  # ScanSummary
    message = Signal(str)  # something to tell the person, in words

    def __init__(self, library: Library, jobs: Jobs, watch: bool = True) -> None:
        super().__init__()
        self.library = library
        self.jobs = jobs
        self.sort = "date"
        self.provider = ""
        self._watch_enabled = watch
        self._watcher: Watcher | None = None
        self._listing = 0
        self._complete = False
        self._bridge = WatchBridge(self)
        self._bridge.changed.connect(self._on_library_change)

    @property
    def path(self) -> Path:
        return self.library.path

    # -- listing --------------------------------------------------------

    def refresh(self, first_page: bool = False) -> None:
        """Reload the grid, the folders and the failed photos.

        ``first_page`` lists the first screenful before the whole library, so a window over
        100,000 photos shows tiles at once instead of after the full listing.
        """
        self.list_photos(first_page)
        self._call(self.library.roots, done=self.folders_changed.emit)
        self._call(self.library.references, done=self.references_changed.emit)
        self._call(self.library.failed_photos, done=self.failed_loaded.emit)
        self.refresh_undo()

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self.list_photos(first_page=True)

    def list_photos(self, first_page: bool = False) -> None:
        self._listing += 1
        listing, sort = self._listing, self.sort
        self._complete = False
        if first_page:
            page = (self.library.photos, sort, 0, FIRST_PAGE)
            self._call(*page, done=lambda rows: self._on_listed(listing, rows, False))
        whole = (self.library.photos, sort)
        self._call(*whole, done=lambda rows: self._on_listed(listing, rows, True))

    def _on_listed(self, listing: int, rows: list[PhotoEntry], complete: bool) -> None:
        if listing != self._listing or self._complete:
            return  # a newer listing started, or the whole list already arrived
        self._complete = complete
        self.photos_loaded.emit(rows, complete)

    def facts(self, path: str, done: Callable[[Any], None]) -> None:
        self._call(self.library.photo_facts, path, done=done)

    def load_model(self) -> None:
        """Load the model in the background, then start watching the folders."""
        self.jobs.call(
            lambda: self.library.provider,
            done=self._on_model,
            failed=lambda error: self.model_failed.emit(error_text(error)),
        )

    def _on_model(self, provider: str) -> None:
        self.provider = provider
        self.model_ready.emit(provider)
        self.restart_watch()

    # -- folders and indexing --------------------------------------------------------

    def add_folders(self, folders: list[Path]) -> Job | None:
        """Add folders and index them at once (progress and Cancel in the job panel)."""
        folders = [Path(f) for f in folders if Path(f).is_dir()]
        if not folders:
            self.message.emit("Drop or choose a folder of photos to add it.")
            return None
        roots = self.library.add_roots(folders)
        self.folders_changed.emit(self.library.roots())
        return self.scan(roots)

    def scan(self, roots: list[Path] | None = None) -> Job:
        names = ", ".join(name_text(r) for r in roots) if roots else "all folders"
        job = self.jobs.run(f"Indexing {names}", lambda token: self.library.scan(roots, token))
        job.succeeded.connect(self._on_scanned)
        job.failed.connect(self.message.emit)
        return job

    def _on_scanned(self, summary: ScanSummary) -> None:
        if summary.cancelled:
            self.message.emit("Indexing cancelled; what was finished is kept.")
        self.scan_finished.emit(summary)
        self.refresh()
        self.restart_watch()

    def remove_folder(self, folder: Path) -> None:
        """Stop tracking a folder (its files stay where they are)."""
        self._call(self.library.remove_root, folder, done=lambda _: self._after_folders())

    def _after_folders(self) -> None:
        self.refresh()
        self.restart_watch()

    # -- watching --------------------------------------------------------

    def restart_watch(self) -> None:
        """Follow the library's folders; changes arrive as ``library_changed``."""
        if not self._watch_enabled:
            return
        old, self._watcher = self._watcher, None
        self._call(self._start_watch, old, done=self._on_watching)

    def _start_watch(self, old: Watcher | None) -> Watcher | None:
        if old is not None:
            old.stop()
        if not self.library.roots():
            return None
        return self.library.watch(self._bridge.relay)

    def _on_watching(self, watcher: Watcher | None) -> None:
        if self._watcher is not None:  # a newer restart won the race
            self._call(self._watcher.stop)
        self._watcher = watcher

    def _on_library_change(self, change: LibraryChange) -> None:
        """The grid changes row by row; only a reconciliation lists everything again."""
        self.library_changed.emit(change)
        if change.reconciled:
            self.refresh()
            return
        touched = [*change.indexed, *(p for p, _ in change.errors)]
        self._call(
            self._changed_rows,
            touched,
            list(change.removed),
            done=lambda found: self.rows_changed.emit(*found),
        )
        if change.errors or change.removed:
            self._call(self.library.failed_photos, done=self.failed_loaded.emit)

    def _changed_rows(
        self, touched: list[str], removed: list[str]
    ) -> tuple[dict[str, PhotoEntry], list[str]]:
        entries = self.library.photo_entries(touched)
        gone = removed + [p for p in touched if p not in entries]
        return entries, gone

    def stop_watch(self) -> None:
        """Stop following the folders (blocking: only on exit, after the jobs)."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    # -- questions --------------------------------------------------------

    def load_groups(self) -> None:
        self._call(self._groups, done=self.groups_loaded.emit)

    def _groups(self) -> list[DuplicateGroup]:
        return self.library.duplicate_groups(include_similar=True)

    def search_file(self, path: str | Path) -> None:
        self._call(self.library.search_file, Path(path), done=self.search_done.emit)

    def search_data(self, data: bytes) -> None:
        self._call(self.library.search_data, data, done=self.search_done.emit)

    # -- removal and review --------------------------------------------------------

    def trash(self, paths: list[str]) -> None:
        """Move files to the system trash under the engine's last-copy rule; undo with Ctrl+Z."""
        self._call(self.library.trash, paths, done=lambda r: self._after_trash(r.moved))

    def _after_trash(self, moved: list[str]) -> None:
        self.trashed.emit(moved)
        self.refresh()

    def undo(self) -> None:
        self._call(self.library.undo, done=self._after_undo)

    def _after_undo(self, restored: list[str]) -> None:
        self.restored.emit(restored)
        self.refresh()

    def refresh_undo(self) -> None:
        self._call(self.library.can_undo, done=self.undo_changed.emit)

    def remove_groups(self, selections: list[list[str]], to: Path | None = None) -> None:
        """Many groups' extra copies as one undoable step (to the trash, or into ``to``)."""
        self._call(self.library.remove_groups, selections, to, done=self._after_batch)

    def _after_batch(self, batch: BatchReceipt) -> None:
        self.batch_done.emit(batch)
        if batch.receipt.moved:
            self.trashed.emit(batch.receipt.moved)
        self.refresh()

    def sizes(self, paths: list[str], done: Callable[[dict[str, int]], None]) -> None:
        self._call(self.library.sizes, paths, done=done)

    def export(self, groups: list[DuplicateGroup], fmt: str, target: Path) -> None:
        """Write the groups as CSV or JSON (engine's format) on a worker."""

        def write() -> Path:
            target.write_text(self.library.export_groups(groups, fmt), encoding="utf-8", newline="")
            return target

        self._call(write, done=lambda path: self.message.emit(f"Exported {len(groups)} groups."))

    def set_reference(self, folder: Path, on: bool) -> None:
        """Mark or unmark a folder "keep always"; the groups' keepers follow."""
        act = self.library.add_reference if on else self.library.remove_reference
        self._call(act, folder, done=lambda _: self._after_keeper_change())

    def load_keeper_settings(self) -> None:
        self._call(
            lambda: (self.library.keeper_order(), self.library.raw_jpeg_removable()),
            done=lambda found: self.keeper_settings.emit(*found),
        )

    def save_keeper_settings(self, order: list[str], raw_jpeg_removable: bool) -> None:
        def save() -> None:
            self.library.set_keeper_order(",".join(order) or "default")
            self.library.set_raw_jpeg_removable(raw_jpeg_removable)

        self._call(save, done=lambda _: self._after_keeper_change())

    def _after_keeper_change(self) -> None:
        self._call(self.library.references, done=self.references_changed.emit)
        self.load_keeper_settings()
        self.load_groups()

    def dismiss(self, paths: list[str]) -> None:
        """Remember "not a duplicate" in the library, so this group does not come back."""
        self._call(self.library.dismiss_group, paths, done=lambda _: self.load_groups())

    # -- plumbing --------------------------------------------------------

    def _call(
        self, func: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None
    ) -> Any:
        return self.jobs.call(func, *args, done=done, failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        self.message.emit(error_text(error))

    def close(self) -> None:
        """Stop watching and close the library (after the jobs have ended)."""
        self.stop_watch()
        self.library.close()
