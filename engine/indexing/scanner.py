"""Indexing: walk the roots, skip what is known, decode and encode the rest in batches.

Decoding (Pillow releases the GIL) runs on a thread pool while onnxruntime encodes the previous
batch, with a bounded window so memory stays flat however large the library. Each batch is
written in one transaction, so a killed scan resumes without re-encoding finished photos.
"""

from __future__ import annotations

import errno
import logging
import os
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twinlens.engine.errors import DecodeError, DecodeReason
from twinlens.engine.media.decode import decode_photo
from twinlens.engine.media.files import FileStat, content_hash, walk_photos
from twinlens.engine.media.signature import signature
from twinlens.engine.media.signature import to_blob as signature_blob
from twinlens.engine.model.codes import to_blob
from twinlens.engine.model.encoder import Encoder
from twinlens.engine.model.preprocess import to_array
from twinlens.engine.paths import shown
from twinlens.engine.progress import CancelToken, Progress
from twinlens.engine.storage.store import ContentFacts, PhotoRow, Store

log = logging.getLogger(__name__)

_READ_WHOLE_LIMIT = 64 << 20  # files up to this size are read once for hash and pixels
_WORKING_SIDE = 2048  # huge images are reduced to about this before anything else


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


@dataclass
class _Prepared:
    """A file after the worker thread read it: hash, and pixels if it needs encoding."""

    stat: FileStat
    hash: str | None = None
    facts: ContentFacts | None = None
    pixels: np.ndarray | None = None
    error: DecodeError | None = None


class Scanner:
    """Brings a Store up to date with the photos on disk, using one Encoder."""

    def __init__(
        self,
        store: Store,
        encoder: Encoder,
        batch_size: int = 32,
        workers: int | None = None,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.batch_size = batch_size
        self.workers = workers or max(1, os.cpu_count() or 1)

    def scan(
        self, roots: Iterable[Path], cancel: CancelToken | None = None
    ) -> Generator[Progress, None, ScanSummary]:
        """Index ``roots``; yields Progress, returns a ScanSummary."""
        cancel = cancel or CancelToken()
        summary = ScanSummary()
        progress = Progress("listing")
        todo: list[FileStat] = []
        coded = self.store.hashes_with_code(self.encoder.meta.key)
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
        window = self.batch_size * 2
        pending: deque[Future[_Prepared]] = deque()
        batch: list[_Prepared] = []
        items = iter(todo)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="twinlens-decode") as pool:
            while True:
                while len(pending) < window and not cancel.cancelled:
                    stat = next(items, None)
                    if stat is None:
                        break
                    pending.append(pool.submit(self._prepare, stat, coded))
                if not pending:
                    break
                batch.append(pending.popleft().result())
                if len(batch) >= self.batch_size or not pending:
                    self._commit(batch, summary, coded)
                    progress.done += len(batch)
                    progress.current = str(batch[-1].stat.path)
                    batch = []
                    yield progress
            for future in pending:
                future.cancel()
        if cancel.cancelled:
            summary.cancelled = True

    def _prepare(self, stat: FileStat, coded: set[str]) -> _Prepared:
        """Worker thread: read once, hash, and decode only content we have no code for."""
        prepared = _Prepared(stat)
        try:
            data = _read(stat)
            prepared.hash = content_hash_of(stat.path, data)
            if prepared.hash in coded:
                return prepared
            meta = self.encoder.meta
            decoded = decode_photo(
                stat.path, min_size=meta.preprocess.height, data=data, max_side=_WORKING_SIDE
            )
            info = decoded.info
            prepared.facts = ContentFacts(
                prepared.hash,
                info.width,
                info.height,
                info.format,
                info.camera,
                info.taken_at,
                signature_blob(signature(decoded.image)),
            )
            prepared.pixels = to_array(decoded.image, meta.preprocess)
        except DecodeError as exc:
            prepared.error = exc
        except FileNotFoundError:
            prepared.error = DecodeError(stat.path, DecodeReason.VANISHED, "deleted while scanning")
        except OSError as exc:
            prepared.error = DecodeError(stat.path, DecodeReason.UNREADABLE, str(exc))
        except Exception as exc:  # one bad photo never stops a scan, whatever it trips
            log.warning("could not index %s", shown(stat.path), exc_info=True)
            detail = f"could not be processed ({type(exc).__name__}: {exc})"[:300]
            prepared.error = DecodeError(stat.path, DecodeReason.CORRUPT, detail)
        return prepared

    def _commit(self, batch: list[_Prepared], summary: ScanSummary, coded: set[str]) -> None:
        """Encode what needs it and write the whole batch in one transaction."""
        to_encode: list[_Prepared] = []
        fresh: set[str | None] = set()
        for prepared in batch:  # byte copies met in the same scan are encoded once
            if prepared.pixels is not None and prepared.hash not in coded | fresh:
                to_encode.append(prepared)
                fresh.add(prepared.hash)
        model = self.encoder.meta.key
        codes: list[tuple[str, str, bytes]] = []
        if to_encode:
            encoded = self.encoder.encode_array(
                np.stack([p.pixels for p in to_encode if p.pixels is not None])
            )
            for prepared, words in zip(to_encode, encoded.codes, strict=True):
                assert prepared.hash is not None
                codes.append((prepared.hash, model, to_blob(words)))
        ok = [p for p in batch if p.error is None and p.hash is not None]
        files = [(str(p.stat.path), p.stat.size, p.stat.mtime_ns, p.hash or "") for p in ok]
        facts = [p.facts for p in to_encode if p.facts is not None]
        errors = [
            (str(p.stat.path), p.stat.size, p.stat.mtime_ns, p.error.reason.value, p.error.detail)
            for p in batch
            if p.error is not None
        ]
        self.store.record_indexed(files, facts, codes)
        if errors:
            self.store.record_errors(errors)
        coded.update(h for h, _, _ in codes)
        summary.encoded += len(codes)
        summary.reused += len(ok) - len(codes)


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


def _read(stat: FileStat) -> bytes | None:
    """The whole file for small files (hash and decode from one read), else None."""
    if stat.size > _READ_WHOLE_LIMIT:
        return None
    with stat.path.open("rb") as handle:
        return handle.read()


def content_hash_of(path: Path, data: bytes | None) -> str:
    """The content hash from bytes already in memory, or by streaming the file."""
    if data is None:
        return content_hash(path)
    import hashlib

    return hashlib.blake2b(data, digest_size=16).hexdigest()
