"""Listing a library's photos for browsing: sorted, paged, counted, and one photo's facts.

Reads go through their own short-lived read-only connection, so the app can list a 100,000
photo library on a worker thread while a scan writes through the Store (WAL lets readers and
the one writer run side by side). Nothing here writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlite_utils import Database

if TYPE_CHECKING:
    from twinlens.engine.library import Library

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


@contextmanager
def reading(library: Library | Path | str) -> Iterator[Database]:
    """A read-only connection to the library, closed afterwards; any thread may use one."""
    path = Path(library if isinstance(library, str | Path) else library.path).resolve()
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5.0)
    with closing(conn):
        yield Database(conn)


def count_photos(library: Library | Path | str) -> int:
    """Every file the library lists, indexed or failed."""
    with reading(library) as db:
        return int(db.execute("select count(*) from photos").fetchone()[0])


def list_photos(
    library: Library | Path | str,
    sort: str = "date",
    offset: int = 0,
    limit: int | None = None,
) -> list[PhotoEntry]:
    """Photos in ``sort`` order (date: newest first; name: A to Z; size: largest first)."""
    if sort not in _ORDER:
        raise ValueError(f"unknown sort {sort!r}; expected one of {SORTS}")
    sql = f"select {_COLUMNS} from {_FROM} order by {_ORDER[sort]}"
    params: list[int] = []
    if limit is not None or offset:
        sql += " limit ? offset ?"
        params = [-1 if limit is None else limit, offset]
    with reading(library) as db:
        return list(map(PhotoEntry._make, db.execute(sql, params).fetchall()))


def failed_photos(library: Library | Path | str) -> list[PhotoEntry]:
    """Files that could not be read, by path, each with its reason."""
    sql = f"select {_COLUMNS} from {_FROM} where p.status = 'error' order by p.path"
    with reading(library) as db:
        return list(map(PhotoEntry._make, db.execute(sql).fetchall()))


def photo_facts(library: Library | Path | str, path: str) -> PhotoFacts | None:
    """The facts of one file, or None when the library does not list it."""
    sql = (
        "select p.path, p.size, p.mtime_ns, p.status, p.reason, coalesce(c.width, 0),"
        " coalesce(c.height, 0), coalesce(c.taken_at, ''), coalesce(c.camera, ''),"
        f" coalesce(c.format, '') from {_FROM} where p.path = ?"
    )
    with reading(library) as db:
        row = db.execute(sql, [path]).fetchone()
    if row is None:
        return None
    path_, size, mtime, status, reason, width, height, taken, camera, fmt = row
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


def hashes_of(library: Library | Path | str, paths: Iterable[str]) -> dict[str, str]:
    """Content hash of each listed, indexed path."""
    sql = "select path, hash from photos where hash is not null and path in ({marks})"
    return _lookup_by_path(library, sql, [], paths)


def paths_with_hash(library: Library | Path | str, content: str) -> list[str]:
    """Every indexed file holding exactly this content."""
    sql = "select path from photos where hash = ? and status = 'indexed' order by path"
    with reading(library) as db:
        return [row[0] for row in db.execute(sql, [content]).fetchall()]


def codes_of(library: Library | Path | str, paths: Iterable[str], model: str) -> dict[str, bytes]:
    """The stored code blob of each indexed path under ``model``."""
    sql = (
        "select p.path, c.code from photos p join codes c on c.hash = p.hash"
        " and c.model = ? where p.path in ({marks})"
    )
    return _lookup_by_path(library, sql, [model], paths)


def _lookup_by_path(
    library: Library | Path | str, sql: str, params: list[object], paths: Iterable[str]
) -> dict[str, Any]:
    """Run a ``path in ({marks})`` query in batches (SQLite limits bound parameters)."""
    wanted = list(paths)
    found: dict[str, Any] = {}
    with reading(library) as db:
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            query = sql.format(marks=",".join("?" * len(part)))
            found.update(dict(db.execute(query, [*params, *part]).fetchall()))
    return found
