"""The library database: SQLite through sqlite-utils, WAL, one writer at a time.

Every multi-row write is one transaction, so a scan killed at any moment (even kill -9) leaves
a consistent library and the next scan resumes where it stopped. Opening refuses damaged,
locked and newer libraries with a LibraryError and never overwrites them; the first write of
a process checks the file's pages first, so a library damaged past its first pages is refused
before anything is changed.

Paths are stored as their exact bytes (BLOB): a name that is not UTF-8 round-trips to the file
on disk (engine/paths.py). All SQL of the engine lives in this package.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from twinlens.engine.errors import LibraryError, LibraryReason, LibraryTooNew
from twinlens.engine.paths import from_bytes, shown, to_bytes

from .connection import connect, library_error
from .migrations import known_names, migrations
from .salvage import Salvage, restore_rows
from .settings import LibrarySetting, T, from_text, to_text


@dataclass(frozen=True)
class PhotoRow:
    """One file of the library as stored."""

    id: int
    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    reason: str | None
    detail: str | None


@dataclass(frozen=True)
class ContentFacts:
    """Facts about one photo's content, shared by all its byte-identical copies."""

    hash: str
    width: int
    height: int
    format: str
    camera: str
    taken_at: str
    signature: bytes | None = None
    thumb: bytes | None = None
    """32x32 grey thumbnail (media/signature.thumbnail) for verification without decoding."""
    saturation: float | None = None
    quality: int | None = None
    """JPEG quality estimated from the quantisation tables (0: not a JPEG)."""
    trim_signature: bytes | None = None
    """Signature of the picture inside uniform bars or a frame, when it has them."""
    compression: str | None = None
    """raw, lossless, from_jpeg, lossy or palette (media/compression.py); None: not known."""


_ALWAYS_LOSSY = ("JPEG", "MPO", "HEIF", "AVIF", "GIF")
"""Formats whose compression class needs no decode to know (libraries before m008)."""

IndexedFile = tuple[str, int, int, str]
"""(path, size, mtime_ns, content hash) of a file that was read and indexed."""
StoredCode = tuple[str, str, str, bytes]
"""(content hash, model key, code kind, packed code) of one code of one content."""
FailedFile = tuple[str, int, int, str, str]
"""(path, size, mtime_ns, reason, detail) of a file that could not be read."""


class Store:
    """Typed access to one library file, from any thread.

    Each thread gets its own SQLite connection (a connection must not be shared: sqlite-utils
    wraps queries in savepoints), WAL lets readers run beside the writer, and writes are
    serialised by one lock in this process and by ``BEGIN IMMEDIATE`` across processes.
    """

    def __init__(self, path: Path | str, create: bool = True, busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self._create = create
        self._busy_timeout_s = busy_timeout_s
        self._writes = 0
        self._lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[Database] = []
        self._pages_checked = False
        self.db  # noqa: B018 - open now, so a bad library fails here and not later
        self._migrate()

    @property
    def db(self) -> Database:
        """This thread's connection to the library."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, self._create, self._busy_timeout_s)
            self._create = True  # it exists now; other threads simply open it
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
            self._local = threading.local()

    def _migrate(self) -> None:
        applied = {row[0] for row in self._applied()}
        unknown = applied - known_names()
        if unknown:
            raise LibraryTooNew(
                f"{shown(self.path)} was written by a newer Twinlens (it has schema steps "
                f"{sorted(unknown)}); update Twinlens to open it"
            )
        if applied >= known_names():
            return
        if applied:
            self.check_pages()
            self._backup(f"before-{min(known_names() - applied)}")
        with self.writing() as db:  # BEGIN IMMEDIATE: a second process creating it waits
            migrations.apply(db)  # applies only what is still pending once we hold the lock

    def _applied(self) -> list[tuple[str]]:
        exists = self.rows(
            "select 1 from sqlite_master where type = 'table' and name = '_sqlite_migrations'"
        )
        if not exists:
            return []
        return self.rows(
            "select name from _sqlite_migrations where migration_set = ?", [migrations.name]
        )

    def _backup(self, label: str) -> Path:
        """Copy the library aside (consistent, via SQLite's backup API) before changing it."""
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        try:
            destination = sqlite3.connect(target)
            try:
                self.db.conn.backup(destination)
            finally:
                destination.close()
        except sqlite3.Error as exc:
            raise library_error(self.path, exc, "back up") from exc
        return target

    def check_pages(self) -> None:
        """Refuse to write to a library whose pages are damaged (checked once per process)."""
        if self._pages_checked:
            return
        verdict = self.rows("pragma quick_check(1)")
        if not verdict or verdict[0][0] != "ok":
            lines = str(verdict[0][0] if verdict else "no answer").splitlines()
            detail = next((ln for ln in lines if not ln.startswith("***")), lines[0])
            raise LibraryError(
                f"{shown(self.path)} is damaged ({detail}); nothing was changed. "
                "`twinlens rebuild` makes a new library from its folders and keeps the damaged"
                " file aside",
                LibraryReason.DAMAGED,
            )
        self._pages_checked = True

    # -- SQL, with every failure translated ------------------------------------------------

    def version(self) -> tuple[int, int]:
        """Changes whenever anything was committed since the last call, by any process:
        SQLite's data_version (other connections) and this store's own write count."""
        return int(self.scalar("pragma data_version")), self._writes

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a read query, as tuples."""
        try:
            return self.db.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise library_error(self.path, exc, "read") from exc

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """One atomic write: this process's lock plus ``BEGIN IMMEDIATE`` ... ``COMMIT``."""
        with self._lock:
            self.check_pages()
            conn = self.db.conn
            try:
                conn.execute("begin immediate")
            except sqlite3.Error as exc:
                raise library_error(self.path, exc, "write") from exc
            try:
                yield self.db
                conn.execute("commit")
                self._writes += 1
            except sqlite3.Error as exc:
                _rollback(conn)
                raise library_error(self.path, exc, "write") from exc
            except BaseException:
                _rollback(conn)
                raise

    # -- settings and roots ----------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("select value from settings where key = ?", [key])
        return default if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        with self.writing() as db:
            db.execute(
                "insert into settings (key, value) values (?, ?)"
                " on conflict(key) do update set value = excluded.value",
                [key, value],
            )

    def get(self, setting: LibrarySetting[T]) -> T:
        """A declared library setting (settings.py), or its default."""
        return from_text(setting, self.setting(setting.key))

    def put(self, setting: LibrarySetting[T], value: T) -> None:
        self.set_setting(setting.key, to_text(value))

    def add_reference(self, path: Path | str) -> None:
        with self.writing() as db:
            db.execute(
                "insert into reference_folders (path, added_at) values (?, ?)"
                " on conflict(path) do nothing",
                [to_bytes(path), time.time()],
            )

    def remove_reference(self, path: Path | str) -> bool:
        """Unmark a reference folder; whether it was one."""
        with self.writing() as db:
            removed = db.execute(
                "delete from reference_folders where path = ?", [to_bytes(path)]
            ).rowcount
        return bool(removed)

    def references(self) -> list[Path]:
        sql = "select path from reference_folders order by path"
        return [Path(from_bytes(r[0])) for r in self.rows(sql)]

    def add_roots(self, paths: Iterable[Path | str]) -> None:
        now = time.time()
        with self.writing() as db:
            for path in paths:
                db.execute(
                    "insert into roots (path, added_at) values (?, ?) on conflict(path) do nothing",
                    [to_bytes(path), now],
                )

    def roots(self) -> list[Path]:
        return [Path(from_bytes(r[0])) for r in self.rows("select path from roots order by path")]

    def remove_root(self, root: Path | str) -> int:
        """Stop tracking ``root``: its root row and photo rows go (codes stay, by content)."""
        lo, hi = _range_below(root)
        with self.writing() as db:
            removed = db.execute(
                "delete from photos where path = ? or (path >= ? and path < ?)",
                [to_bytes(root), lo, hi],
            ).rowcount
            db.execute("delete from roots where path = ?", [to_bytes(root)])
        return int(removed)

    # -- photos ----------------------------------------------------------------------------

    def photos_under(self, root: Path | str) -> dict[str, PhotoRow]:
        """Stored rows for files at or below ``root``, by path."""
        lo, hi = _range_below(root)
        sql = f"select {PHOTO_COLUMNS} from photos where path = ? or (path >= ? and path < ?)"
        found = self.rows(sql, [to_bytes(root), lo, hi])
        return {row.path: row for row in map(photo_row, found)}

    def photo_by_path(self, path: str) -> PhotoRow | None:
        found = self.rows(f"select {PHOTO_COLUMNS} from photos where path = ?", [to_bytes(path)])
        return photo_row(found[0]) if found else None

    def photos_by_path(self, paths: Iterable[str]) -> dict[str, PhotoRow]:
        """The stored rows of ``paths`` that the library lists, in batches."""
        found: dict[str, PhotoRow] = {}
        for part in _batches([to_bytes(p) for p in paths]):
            marks = ",".join("?" * len(part))
            sql = f"select {PHOTO_COLUMNS} from photos where path in ({marks})"
            for row in self.rows(sql, part):
                photo = photo_row(row)
                found[photo.path] = photo
        return found

    def paths_with_hash(self, content: str) -> list[str]:
        """Every indexed file holding exactly this content."""
        # "+status": look up by the hash index, not the status index (every indexed file).
        sql = "select path from photos where hash = ? and +status = 'indexed' order by path"
        return [from_bytes(r[0]) for r in self.rows(sql, [content])]

    def indexed_photos(self) -> list[PhotoRow]:
        sql = f"select {PHOTO_COLUMNS} from photos where status = 'indexed' order by id"
        return [photo_row(r) for r in self.rows(sql)]

    def error_photos(self) -> list[PhotoRow]:
        sql = f"select {PHOTO_COLUMNS} from photos where status = 'error' order by path"
        return [photo_row(r) for r in self.rows(sql)]

    def record_indexed(
        self,
        files: Iterable[IndexedFile],
        facts: Iterable[ContentFacts] = (),
        codes: Iterable[StoredCode] = (),
    ) -> None:
        """Store indexed files, new facts and codes in one transaction."""
        now = time.time()
        with self.writing() as db:
            db.table("contents").upsert_all([f.__dict__ for f in facts], pk="hash")
            db.conn.executemany(
                "insert into codes (hash, model, kind, code) values (?, ?, ?, ?)"
                " on conflict(hash, model, kind) do update set code = excluded.code",
                list(codes),
            )
            for path, size, mtime_ns, content in files:
                upsert_photo(db, path, size, mtime_ns, content, "indexed", None, None, now)

    def record_errors(self, errors: Iterable[FailedFile]) -> None:
        """Store files that could not be read, each with its reason."""
        now = time.time()
        with self.writing() as db:
            for path, size, mtime_ns, reason, detail in errors:
                upsert_photo(db, path, size, mtime_ns, None, "error", reason, detail, now)

    def forget_paths(self, paths: Iterable[str]) -> int:
        """Remove rows of files that no longer exist; their codes stay for renamed copies."""
        removed = 0
        wanted = [to_bytes(p) for p in paths]
        if not wanted:
            return 0
        with self.writing() as db:
            for path in wanted:
                removed += db.execute("delete from photos where path = ?", [path]).rowcount
        return removed

    # -- contents and codes ------------------------------------------------------------------

    def hashes_with_code(self, model: str, kinds: Sequence[str]) -> set[str]:
        """Contents fully indexed for ``model``: every kind of code, the signature, and (for
        formats that may be lossless) the compression class (m008)."""
        marks = ",".join("?" * len(kinds))
        lossy = ",".join(f"'{fmt}'" for fmt in _ALWAYS_LOSSY)
        sql = (
            "select c.hash from codes c join contents t on t.hash = c.hash"
            f" where c.model = ? and c.kind in ({marks}) and t.signature is not null"
            f" and (t.compression is not null or t.format in ({lossy}))"
            " group by c.hash having count(distinct c.kind) = ?"
        )
        return {r[0] for r in self.rows(sql, [model, *kinds, len(kinds)])}

    def facts(self, hashes: Iterable[str]) -> dict[str, ContentFacts]:
        found: dict[str, ContentFacts] = {}
        for part in _batches(list(hashes)):
            marks = ",".join("?" * len(part))
            sql = (
                "select hash, width, height, format, camera, taken_at, signature, null,"
                " saturation, quality, trim_signature, compression from contents"
                f" where hash in ({marks})"
            )  # thumbnails are read only when verification needs them (thumbs)
            for row in self.rows(sql, part):
                found[row[0]] = ContentFacts(*row)
        return found

    def indexed_codes(self, model: str, kind: str) -> list[tuple[str, str, int, bytes]]:
        """(path, hash, mtime_ns, code) of every indexed file with a ``kind`` code of ``model``."""
        sql = (
            "select p.path, p.hash, p.mtime_ns, c.code from photos p join codes c"
            " on c.hash = p.hash and c.model = ? and c.kind = ?"
            " where p.status = 'indexed' order by p.id"
        )
        return [
            (from_bytes(r[0]), r[1], int(r[2] or 0), r[3]) for r in self.rows(sql, [model, kind])
        ]

    def indexed_contents(
        self, model: str, kinds: Sequence[str]
    ) -> dict[str, tuple[list[tuple[str, int]], list[bytes], ContentFacts | None]]:
        """Each content with an indexed file and a code of every ``kind`` of ``model``: its
        files (path, mtime_ns), its code blobs (in ``kinds`` order) and its facts, in the
        order of its first file: one joined pass, instead of a pass per kind of code and
        batched lookups of the facts."""
        joins = "".join(
            f" join codes c{k} on c{k}.hash = p.hash and c{k}.model = ? and c{k}.kind = ?"
            for k in range(len(kinds))
        )
        codes = ", ".join(f"c{k}.code" for k in range(len(kinds)))
        sql = (
            f"select p.path, p.hash, p.mtime_ns, {codes},"
            " ct.hash, ct.width, ct.height, ct.format, ct.camera, ct.taken_at, ct.signature,"
            " null, ct.saturation, ct.quality, ct.trim_signature, ct.compression"
            f" from photos p{joins} left join contents ct on ct.hash = p.hash"
            " where p.status = 'indexed' order by p.id"
        )
        params = [value for kind in kinds for value in (model, kind)]
        found: dict[str, tuple[list[tuple[str, int]], list[bytes], ContentFacts | None]] = {}
        facts_at = 3 + len(kinds)
        for row in self.rows(sql, params):
            entry = found.get(row[1])
            if entry is None:
                facts = ContentFacts(*row[facts_at:]) if row[facts_at] is not None else None
                entry = found[row[1]] = ([], list(row[3:facts_at]), facts)
            entry[0].append((from_bytes(row[0]), int(row[2] or 0)))
        return found

    def counts(self, model: str) -> tuple[int, int, dict[str, int]]:
        """(files listed, files indexed with a code of ``model``, errors by reason)."""
        photos = int(self.scalar("select count(*) from photos"))
        coded = int(  # kept by triggers (migrations.m012_coded_files)
            self.scalar("select coalesce(sum(files), 0) from coded_files where model = ?", [model])
        )
        reasons = self.rows(
            "select reason, count(*) from photos where status = 'error' group by reason"
            " order by reason"
        )
        return photos, coded, {str(r[0]): int(r[1]) for r in reasons}

    # -- review --------------------------------------------------------------------------------

    def thumbs(self, hashes: Iterable[str]) -> dict[str, bytes | None]:
        """The stored 32x32 verification thumbnail of each content (None: not made yet)."""
        found: dict[str, bytes | None] = {}
        for part in _batches(list(hashes)):
            marks = ",".join("?" * len(part))
            for content, thumb in self.rows(
                f"select hash, thumb from contents where hash in ({marks})", part
            ):
                found[content] = thumb
        return found

    def set_thumbs(self, thumbs: dict[str, bytes]) -> None:
        """Fill in thumbnails of contents indexed before they were stored (made on demand)."""
        with self.writing() as db:
            db.conn.executemany(
                "update contents set thumb = ? where hash = ?",
                [(thumb, content) for content, thumb in thumbs.items()],
            )

    def verdicts(self, verifier: str) -> dict[tuple[str, str], tuple[str, str]]:
        """Cached verification verdicts of ``verifier``: (low, high) -> (tier, change JSON)."""
        sql = "select low, high, tier, edit from verdicts where verifier = ?"
        return {(r[0], r[1]): (r[2] or "", r[3] or "") for r in self.rows(sql, [verifier])}

    def remember_verdicts(self, verifier: str, found: Iterable[tuple[str, str, str, str]]) -> None:
        """Cache verdicts (low hash, high hash, tier, change JSON) so they are never redone."""
        now = time.time()
        with self.writing() as db:
            db.conn.executemany(
                "insert into verdicts (low, high, verifier, tier, edit, created_at)"
                " values (?, ?, ?, ?, ?, ?) on conflict(low, high, verifier) do update set"
                " tier = excluded.tier, edit = excluded.edit, created_at = excluded.created_at",
                [(low, high, verifier, tier, edit, now) for low, high, tier, edit in found],
            )

    def forget_verdicts(self) -> None:
        """Drop every cached verdict and kept candidate pair (benchmarks time a first run)."""
        with self.writing() as db:
            db.execute("delete from verdicts")
            db.execute("delete from signature_pairs")
            db.execute("delete from paired")

    def paired(self, finder: str) -> set[str]:
        """Contents whose signature ``finder`` has searched against the library."""
        # One joined string, split in C: a million rows read as tuples cost several times more.
        joined = self.scalar(
            "select group_concat(hash, ',') from paired where finder = ?", [finder]
        )
        return set(joined.split(",")) if joined else set()

    def signature_pairs(self, finder: str) -> list[tuple[str, str, int, int]]:
        """Kept signature pairs: (low hash, high hash, distance, variant of low that high is)."""
        sql = "select low, high, distance, variant from signature_pairs where finder = ?"
        return self.rows(sql, [finder])

    def add_signature_pairs(
        self,
        finder: str,
        pairs: Iterable[tuple[str, str, int, int]],
        searched: Iterable[str],
        absent: Iterable[str],
    ) -> None:
        """Keep the pairs found for the ``searched`` contents, mark them searched, and unmark
        contents ``absent`` from the library now (if they come back they are searched again:
        photos that arrived meanwhile were not compared with them)."""
        with self.writing() as db:
            db.conn.executemany(
                "delete from paired where finder = ? and hash = ?",
                [(finder, h) for h in absent],
            )
            db.conn.executemany(
                "insert into signature_pairs (low, high, finder, distance, variant)"
                " values (?, ?, ?, ?, ?) on conflict do nothing",
                [(low, high, finder, d, v) for low, high, d, v in pairs],
            )
            db.conn.executemany(
                "insert into paired (hash, finder) values (?, ?) on conflict do nothing",
                [(h, finder) for h in searched],
            )

    def dismiss(self, hashes: list[str]) -> None:
        with self.writing() as db:
            db.execute(
                "insert into dismissed (hashes, created_at) values (?, ?)"
                " on conflict(hashes) do nothing",
                [",".join(hashes), time.time()],
            )

    def dismissed(self) -> list[frozenset[str]]:
        return [frozenset(r[0].split(",")) for r in self.rows("select hashes from dismissed")]

    def restore(self, salvage: Salvage) -> None:
        """Copy rows salvaged from a damaged library into this (new) one."""
        with self.writing() as db:
            restore_rows(db, salvage)

    def integrity_ok(self) -> bool:
        return self.scalar("pragma integrity_check") == "ok"


def _rollback(conn: sqlite3.Connection) -> None:
    with suppress(sqlite3.Error):  # the failure may already have ended the transaction
        conn.execute("rollback")


PHOTO_COLUMNS = "id, path, size, mtime_ns, hash, status, reason, detail"


def photo_row(row: Sequence[Any]) -> PhotoRow:
    return PhotoRow(
        id=int(row[0]),
        path=from_bytes(row[1]),
        size=int(row[2] or 0),
        mtime_ns=int(row[3] or 0),
        hash=row[4],
        status=str(row[5]),
        reason=row[6],
        detail=row[7],
    )


def upsert_photo(
    db: Database,
    path: str,
    size: int,
    mtime_ns: int,
    content: str | None,
    status: str,
    reason: str | None,
    detail: str | None,
    now: float,
) -> None:
    db.execute(
        "insert into photos (path, size, mtime_ns, hash, status, reason, detail, updated_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(path) do update set"
        " size=excluded.size, mtime_ns=excluded.mtime_ns, hash=excluded.hash,"
        " status=excluded.status, reason=excluded.reason, detail=excluded.detail,"
        " updated_at=excluded.updated_at",
        [to_bytes(path), size, mtime_ns, content, status, reason, _text(detail), now],
    )


def _text(value: str | None) -> str | None:
    """Free text (an error's detail may quote a file name) made storable as UTF-8."""
    return None if value is None else shown(value)


def _range_below(root: Path | str) -> tuple[bytes, bytes]:
    """Byte bounds of every path strictly below ``root``: ``root/`` <= path < ``root0``.

    ("0" is the byte after "/", "]" the one after "\\"): an index range, unlike LIKE.
    """
    sep = os.sep.encode()
    prefix = to_bytes(root).rstrip(sep)
    return prefix + sep, prefix + bytes([sep[0] + 1])


def _batches(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """SQLite limits bound parameters per statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
