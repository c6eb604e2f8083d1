"""Listing a library's photos for browsing: sorted, paged, counted, and one photo's facts.

Reads go through the Store's per-thread connections, so the app lists a 100,000-photo
library on a worker thread while a scan writes (WAL lets readers and the one writer run side
by side), and a locked or damaged library fails with the Store's LibraryError. Nothing here
writes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from twinlens.engine.paths import from_bytes, to_bytes

from .store import Store

SORTS = ("date", "name", "size")

_COLUMNS = (
    "p.id, p.path, p.size, p.mtime_ns, p.hash, p.status, p.reason, p.detail,"
    " coalesce(c.taken_at, ''), coalesce(c.width, 0), coalesce(c.height, 0)"
)
_FROM = "photos p left join contents c on c.hash = p.hash"
# The photo's own date (EXIF, "YYYY:MM:DD HH:MM:SS") where it has one, else the file's.
_DATE = (
    "coalesce(nullif(c.taken_at, ''),"
    " strftime('%Y:%m:%d %H:%M:%S', p.mtime_ns / 1000000000, 'unixepoch'))"
)
_NAME = "lower(replace(p.path, rtrim(p.path, replace(p.path, '/', '')), ''))"
_ORDER = {
    "date": f"{_DATE} desc, p.path",
    "name": f"{_NAME}, p.path",
    "size": "p.size desc, p.path",
}


class PhotoEntry(NamedTuple):
    """One file of the library as the grid shows it.

    A NamedTuple, not a frozen dataclass: a 100,000-photo listing builds one per row, and a
    frozen dataclass's field-by-field ``__init__`` makes that five times slower.
    """

    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    reason: str | None
    detail: str | None
    taken_at: str
    width: int
    height: int

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass(frozen=True)
class PhotoFacts:
    """What a person compares between two copies: size, resolution, date, folder, camera."""

    path: str
    name: str
    folder: str
    size: int
    width: int
    height: int
    taken_at: str
    modified_ns: int
    camera: str
    format: str
    status: str
    reason: str | None


class Catalog:
    """Read-only listings of one library for the app's grid, panels and details."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def count_photos(self) -> int:
        """Every file the library lists, indexed or failed."""
        return int(self.store.scalar("select count(*) from photos"))

    def list_photos(
        self, sort: str = "date", offset: int = 0, limit: int | None = None
    ) -> list[PhotoEntry]:
        """Photos in ``sort`` order (date: newest first; name: A to Z; size: largest first)."""
        if sort not in _ORDER:
            raise ValueError(f"unknown sort {sort!r}; expected one of {SORTS}")
        sql = f"select {_COLUMNS} from {_FROM} order by {_ORDER[sort]}"
        params: list[int] = []
        if limit is not None or offset:
            sql += " limit ? offset ?"
            params = [-1 if limit is None else limit, offset]
        return [_entry(row) for row in self.store.rows(sql, params)]

    def entries_of(self, paths: Sequence[str]) -> dict[str, PhotoEntry]:
        """The grid rows of these files (the watcher's changes), by path; unlisted left out."""
        found: dict[str, PhotoEntry] = {}
        wanted = [to_bytes(p) for p in paths]
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"select {_COLUMNS} from {_FROM} where p.path in ({marks})"
            for row in self.store.rows(sql, part):
                entry = _entry(row)
                found[entry.path] = entry
        return found

    def failed_photos(self) -> list[PhotoEntry]:
        """Files that could not be read, by path, each with its reason."""
        sql = f"select {_COLUMNS} from {_FROM} where p.status = 'error' order by p.path"
        return [_entry(row) for row in self.store.rows(sql)]

    def photo_facts(self, path: str) -> PhotoFacts | None:
        """The facts of one file, or None when the library does not list it."""
        return self.facts_of([path]).get(path)

    def facts_of(self, paths: Sequence[str]) -> dict[str, PhotoFacts]:
        """The facts of many files at once (exports), by path; unlisted paths are left out."""
        found: dict[str, PhotoFacts] = {}
        wanted = [to_bytes(p) for p in paths]
        for start in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for row in self.store.rows(f"{_FACTS} where p.path in ({marks})", part):
                facts = _facts(row)
                found[facts.path] = facts
        return found


_FACTS = (
    "select p.path, p.size, p.mtime_ns, p.status, p.reason, coalesce(c.width, 0),"
    " coalesce(c.height, 0), coalesce(c.taken_at, ''), coalesce(c.camera, ''),"
    f" coalesce(c.format, '') from {_FROM}"
)


def _facts(row: Sequence[Any]) -> PhotoFacts:
    raw, size, mtime, status, reason, width, height, taken, camera, fmt = row
    path_ = from_bytes(raw)
    return PhotoFacts(
        path=path_,
        name=os.path.basename(path_),
        folder=os.path.dirname(path_),
        size=size or 0,
        width=width,
        height=height,
        taken_at=taken,
        modified_ns=mtime or 0,
        camera=camera,
        format=fmt,
        status=status,
        reason=reason,
    )


def sort_key(sort: str) -> Callable[[PhotoEntry], tuple[Any, ...]]:
    """The order of ``list_photos(sort)`` as a Python key, so one row can be put in its
    place without listing the library again (the app's live grid)."""
    if sort == "date":
        return lambda e: (_negated_date(e), to_bytes(e.path))
    if sort == "name":
        return lambda e: (os.path.basename(to_bytes(e.path)).lower(), to_bytes(e.path))
    if sort == "size":
        return lambda e: (-e.size, to_bytes(e.path))
    raise ValueError(f"unknown sort {sort!r}; expected one of {SORTS}")


def _negated_date(entry: PhotoEntry) -> int:
    """Newest first: the photo's date (EXIF) or the file's, as a negated number."""
    text = entry.taken_at or time.strftime(
        "%Y:%m:%d %H:%M:%S", time.gmtime(entry.mtime_ns // 1_000_000_000)
    )
    digits = "".join(ch for ch in text if ch.isdigit())[:14]
    return -int(digits.ljust(14, "0") or 0)


def _entry(row: Sequence[Any]) -> PhotoEntry:
    return PhotoEntry(row[0], from_bytes(row[1]), *row[2:])
