"""Indexing: walk the roots, skip what is known, send the rest through the pipeline.

Each batch the pipeline (pipeline.py) hands back is written in one transaction, so a killed
scan resumes without re-encoding finished photos. Content that is already coded (a renamed or
copied file) is hashed but never decoded again.
"""

from __future__ import annotations

import errno
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from twinlens.engine.errors import DecodeReason
from twinlens.engine.media.files import FileStat, walk_photos
from twinlens.engine.model.codes import to_blob
from twinlens.engine.progress import CancelToken, Progress
from twinlens.engine.storage.store import PhotoRow, Store, StoredCode

from .pipeline import Pipeline, Prepared


@dataclass
class ScanError:
    path: str
    reason: str
    detail: str


@dataclass
class ScanSummary:
    """What a scan did; ``errors`` lists files that failed in this scan or before."""

    seen: int = 0
    encoded: int = 0
    reused: int = 0
    unchanged: int = 0
    removed: int = 0
    links_skipped: int = 0
    """Symbolic links with a photo's name: never indexed (a link is not a copy)."""
    errors: list[ScanError] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)
    cancelled: bool = False


class Scanner:
    """Brings a Store up to date with the photos on disk, through one Pipeline."""

    def __init__(self, store: Store, pipeline: Pipeline) -> None:
        self.store = store
        self.pipeline = pipeline
        meta = pipeline.encoder.meta
        self.model = meta.key
        self.kinds = meta.code_kinds

    def scan(
        self, roots: Iterable[Path], cancel: CancelToken | None = None
    ) -> Generator[Progress, None, ScanSummary]:
        """Index ``roots``; yields Progress, returns a ScanSummary."""
        cancel = cancel or CancelToken()
        summary = ScanSummary()
        progress = Progress("listing")
        todo: list[FileStat] = []
        coded = self.store.hashes_with_code(self.model, self.kinds)
        for root in roots:
            if not root.exists():
                summary.missing_roots.append(str(root))
                continue
            yield from self._list_root(root, todo, summary, progress, cancel, coded)
            if cancel.cancelled:
                summary.cancelled = True
                return summary
        progress = Progress("indexing", total=len(todo))
        yield progress
        yield from self._index(todo, summary, progress, cancel, coded)
        summary.errors = [
            ScanError(r.path, r.reason or "", r.detail or "") for r in self.store.error_photos()
        ]
        return summary

    def _list_root(
        self,
        root: Path,
        todo: list[FileStat],
        summary: ScanSummary,
        progress: Progress,
        cancel: CancelToken,
        coded: set[str],
    ) -> Generator[Progress, None, None]:
        known = self.store.photos_under(root)
        seen: set[str] = set()
        unreadable: list[tuple[str, int, int, str, str]] = []

        def on_error(path: Path, exc: OSError) -> None:
            reason, detail = _listing_failure(path, exc)
            unreadable.append((str(path), 0, 0, reason.value, detail))
            seen.add(str(path))

        def on_link(path: Path) -> None:
            summary.links_skipped += 1

        for stat in walk_photos([root], on_error, on_link):
            key = str(stat.path)
            seen.add(key)
            summary.seen += 1
            progress.done += 1
            if _unchanged(known.get(key), stat, coded):
                summary.unchanged += 1
            else:
                todo.append(stat)
            if progress.done % 500 == 0:
                progress.current = key
                yield progress
                if cancel.cancelled:
                    return
        if unreadable:
            self.store.record_errors(unreadable)
        gone = [path for path in known if path not in seen]
        summary.removed += self.store.forget_paths(gone)

    def _index(
        self,
        todo: list[FileStat],
        summary: ScanSummary,
        progress: Progress,
        cancel: CancelToken,
        coded: set[str],
    ) -> Generator[Progress, None, None]:
        for batch in self.pipeline.run(todo, coded, cancel):
            self._commit(batch, summary, coded)
            progress.done += len(batch)
            progress.current = batch[-1].path
            yield progress
        if cancel.cancelled:
            summary.cancelled = True

    def _commit(self, batch: list[Prepared], summary: ScanSummary, coded: set[str]) -> None:
        """Write the whole batch (files, new contents, their codes, errors) in one go."""
        fresh = {p.hash: p for p in batch if p.ok and p.codes and p.hash not in coded}
        codes: list[StoredCode] = [
            (content, self.model, kind, to_blob(words))
            for content, prepared in fresh.items()
            for kind, words in prepared.codes.items()
            if content is not None
        ]
        facts = [p.facts for p in fresh.values() if p.facts is not None]
        ok = [p for p in batch if p.ok]
        files = [(p.path, p.size, p.mtime_ns, p.hash or "") for p in ok]
        errors = [
            (p.path, p.size, p.mtime_ns, p.error.reason.value, p.error.detail)
            for p in batch
            if p.error is not None
        ]
        self.store.record_indexed(files, facts, codes)
        if errors:
            self.store.record_errors(errors)
        coded.update(h for h in fresh if h is not None)
        summary.encoded += len(fresh)
        summary.reused += len(ok) - len(fresh)


def _listing_failure(path: Path, exc: OSError) -> tuple[DecodeReason, str]:
    """Why a file seen in a folder listing could not even be looked at."""
    if exc.errno == errno.ELOOP:
        return DecodeReason.UNREADABLE, "symbolic link loop"
    if isinstance(exc, FileNotFoundError):
        if path.is_symlink():
            return DecodeReason.VANISHED, "broken symbolic link: its target is missing"
        return DecodeReason.VANISHED, "deleted while the folder was listed"
    if isinstance(exc, PermissionError):
        return DecodeReason.UNREADABLE, "permission denied"
    return DecodeReason.UNREADABLE, str(exc)


def _unchanged(row: PhotoRow | None, stat: FileStat, coded: set[str]) -> bool:
    """A file needs no work when its size and time match and it is coded (or known bad)."""
    if row is None or row.size != stat.size or row.mtime_ns != stat.mtime_ns:
        return False
    if row.status == "error":
        return True
    return row.hash is not None and row.hash in coded
