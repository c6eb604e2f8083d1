"""Merging records indexed elsewhere (a cluster scan's shards) into the library.

The identity rules are a scan's: a photo's content is its hash, so facts and codes are kept
per content and a content that is already coded keeps its code (a renamed or copied file
costs nothing, and a GPU's code never replaces a CPU's for the same bytes; facts a content
lacks, such as a thumbnail made only by a newer Twinlens, are filled in); files are rows
by path. Merging is idempotent: a record that changes nothing writes nothing, and a record
never replaces a newer one of the same file (by mtime), so shards can be imported in any
order and any number of times.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from twinlens.engine.paths import shown, to_bytes

from .connection import library_error
from .store import ContentFacts, FailedFile, IndexedFile, Store, StoredCode

_MERGE_PHOTO = (
    "insert into photos (path, size, mtime_ns, hash, status, reason, detail, updated_at)"
    " values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(path) do update set"
    " size=excluded.size, mtime_ns=excluded.mtime_ns, hash=excluded.hash,"
    " status=excluded.status, reason=excluded.reason, detail=excluded.detail,"
    " updated_at=excluded.updated_at"
    " where excluded.mtime_ns >= photos.mtime_ns"
    " and (photos.size, photos.mtime_ns, photos.hash, photos.status, photos.reason)"
    " is not (excluded.size, excluded.mtime_ns, excluded.hash, excluded.status, excluded.reason)"
)
_MERGE_CONTENT = (
    "insert into contents (hash, width, height, format, camera, taken_at, signature, thumb,"
    " saturation, quality, trim_signature, compression)"
    " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " on conflict(hash) do update"
    " set signature = coalesce(contents.signature, excluded.signature),"
    " thumb = coalesce(contents.thumb, excluded.thumb),"
    " saturation = coalesce(contents.saturation, excluded.saturation),"
    " quality = coalesce(contents.quality, excluded.quality),"
    " trim_signature = coalesce(contents.trim_signature, excluded.trim_signature),"
    " compression = coalesce(contents.compression, excluded.compression)"
    " where contents.signature is null or contents.thumb is null"
    " or contents.saturation is null or contents.quality is null"
    " or contents.trim_signature is null or contents.compression is null"
)
_MERGE_CODE = (
    "insert into codes (hash, model, kind, code) values (?, ?, ?, ?)"
    " on conflict(hash, model, kind) do nothing"
)


@dataclass
class MergeCounts:
    """What one merge changed: file rows written, contents and codes new to the library."""

    files: int = 0
    contents: int = 0
    codes: int = 0

    def add(self, other: MergeCounts) -> None:
        self.files += other.files
        self.contents += other.contents
        self.codes += other.codes


def merge_records(
    store: Store,
    files: Sequence[IndexedFile],
    facts: Sequence[ContentFacts],
    codes: Sequence[StoredCode],
    errors: Sequence[FailedFile],
) -> MergeCounts:
    """Merge one batch of records in one transaction (see the module docstring's rules)."""
    now = time.time()
    counts = MergeCounts()
    with store.writing() as db:
        conn = db.conn
        try:
            # rowcount counts the rows each statement wrote itself, not the triggers' rows
            # (migrations.m012_coded_files), which total_changes would add.
            counts.contents = conn.executemany(
                _MERGE_CONTENT, [_content_row(f) for f in facts]
            ).rowcount
            counts.codes = conn.executemany(_MERGE_CODE, list(codes)).rowcount
            photos = [
                (to_bytes(path), size, mtime, content, "indexed", None, None, now)
                for path, size, mtime, content in files
            ] + [
                (to_bytes(path), size, mtime, None, "error", reason, shown(detail), now)
                for path, size, mtime, reason, detail in errors
            ]
            counts.files = conn.executemany(_MERGE_PHOTO, photos).rowcount
        except sqlite3.Error as exc:
            raise library_error(store.path, exc, "import into") from exc
    return counts


def _content_row(f: ContentFacts) -> tuple[object, ...]:
    return (f.hash, f.width, f.height, f.format, f.camera, f.taken_at, f.signature, f.thumb,
            f.saturation, f.quality, f.trim_signature, f.compression)  # fmt: skip
