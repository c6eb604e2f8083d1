"""The library database: SQLite through sqlite-utils, WAL, one writer at a time.

Every multi-row write is one transaction, so a scan killed at any moment (even kill -9) leaves
a consistent library and the next scan resumes where it stopped. Opening refuses damaged,
locked and newer libraries with a LibraryError and never overwrites them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from twinlens.engine.errors import LibraryError, LibraryTooNew

from .migrations import known_names, migrations

_BUSY_TIMEOUT_S = 5.0


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


class Store:
    """Typed access to one library file, from any thread.

    Each thread gets its own SQLite connection (a connection must not be shared: sqlite-utils
    wraps queries in savepoints), WAL lets readers run beside the writer, and writes are
    serialised by one lock so the CLI, the watcher and the app never interleave transactions.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[Database] = []
        self.db  # noqa: B018 - open now, so a bad library fails here and not later
        self._migrate()

    @property
    def db(self) -> Database:
        """This thread's connection to the library."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path)
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
        applied = {m.name for m in migrations.applied(self.db)}
        unknown = applied - known_names()
        if unknown:
            raise LibraryTooNew(
                f"{self.path} was written by a newer Twinlens (it has schema steps "
                f"{sorted(unknown)}); update Twinlens to open it"
            )
        pending = migrations.pending(self.db)
        if not pending:
            return
        if applied:
            self._backup(f"before-{pending[0].name}")
        with self._lock:
            try:
                migrations.apply(self.db)
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot update the library {self.path}: {exc}") from exc

    def _backup(self, label: str) -> Path:
        """Copy the library aside (consistent, via SQLite's backup API) before changing it."""
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        destination = sqlite3.connect(target)
        try:
            self.db.conn.backup(destination)
        finally:
            destination.close()
        return target

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """One atomic write: the lock plus a transaction."""
        with self._lock:
            try:
                with self.db.atomic():
                    yield self.db
            except sqlite3.OperationalError as exc:
                raise LibraryError(f"cannot write the library {self.path}: {exc}") from exc

    # -- settings and roots ----------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        rows = list(self.db.query("select value from settings where key = ?", [key]))
        return rows[0]["value"] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self.writing() as db:
            db.table("settings").upsert({"key": key, "value": value}, pk="key")

    def add_roots(self, paths: Iterable[Path]) -> None:
        now = time.time()
        with self.writing() as db:
            for path in paths:
                db.table("roots").upsert({"path": str(path), "added_at": now}, pk="path")

    def roots(self) -> list[Path]:
        return [Path(r["path"]) for r in self.db.query("select path from roots order by path")]

    # -- photos ----------------------------------------------------------------------------

    def photos_under(self, root: Path) -> dict[str, PhotoRow]:
        """Stored rows for files at or below ``root``, by path."""
        prefix = str(root).rstrip("/\\")
        sql = "select * from photos where path = ? or path like ? escape '\\'"
        like = _escape_like(prefix) + "/%"
        return {r["path"]: _photo(r) for r in self.db.query(sql, [prefix, like])}

    def photo_by_path(self, path: str) -> PhotoRow | None:
        rows = list(self.db.query("select * from photos where path = ?", [path]))
        return _photo(rows[0]) if rows else None

    def indexed_photos(self) -> list[PhotoRow]:
        sql = "select * from photos where status = 'indexed' order by id"
        return [_photo(r) for r in self.db.query(sql)]

    def error_photos(self) -> list[PhotoRow]:
        sql = "select * from photos where status = 'error' order by path"
        return [_photo(r) for r in self.db.query(sql)]

    def record_indexed(
        self,
        files: Iterable[tuple[str, int, int, str]],
        facts: Iterable[ContentFacts] = (),
        codes: Iterable[tuple[str, str, bytes]] = (),
    ) -> None:
        """Store indexed files (path, size, mtime_ns, hash), new facts and codes atomically."""
        now = time.time()
        with self.writing() as db:
            db.table("contents").upsert_all([f.__dict__ for f in facts], pk="hash")
            db.table("codes").upsert_all(
                [{"hash": h, "model": m, "code": c} for h, m, c in codes], pk=("hash", "model")
            )
            for path, size, mtime_ns, content in files:
                self._upsert_photo(db, path, size, mtime_ns, content, "indexed", None, None, now)

    def record_errors(self, errors: Iterable[tuple[str, int, int, str, str]]) -> None:
        """Store failed files: (path, size, mtime_ns, reason, detail)."""
        now = time.time()
        with self.writing() as db:
            for path, size, mtime_ns, reason, detail in errors:
                self._upsert_photo(db, path, size, mtime_ns, None, "error", reason, detail, now)

    @staticmethod
    def _upsert_photo(
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
            [path, size, mtime_ns, content, status, reason, detail, now],
        )

    def forget_paths(self, paths: Iterable[str]) -> int:
        """Remove rows of files that no longer exist; their codes stay for renamed copies."""
        removed = 0
        with self.writing() as db:
            for path in paths:
                removed += db.execute("delete from photos where path = ?", [path]).rowcount
        return removed

    # -- contents and codes ------------------------------------------------------------------

    def hashes_with_code(self, model: str) -> set[str]:
        """Contents fully indexed for ``model``: a code, and the signature that verifies it."""
        sql = (
            "select c.hash from codes c join contents t on t.hash = c.hash"
            " where c.model = ? and t.signature is not null"
        )
        return {r[0] for r in self.db.execute(sql, [model]).fetchall()}

    def facts(self, hashes: Iterable[str]) -> dict[str, ContentFacts]:
        wanted = list(hashes)
        found: dict[str, ContentFacts] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for r in self.db.query(f"select * from contents where hash in ({marks})", part):
                found[r["hash"]] = ContentFacts(**r)
        return found

    def indexed_codes(self, model: str) -> list[tuple[int, str, str, bytes]]:
        """(photo id, path, hash, code blob) of every indexed photo with a code of ``model``."""
        sql = (
            "select p.id, p.path, p.hash, c.code from photos p join codes c"
            " on c.hash = p.hash and c.model = ? where p.status = 'indexed' order by p.id"
        )
        return [(r[0], r[1], r[2], r[3]) for r in self.db.execute(sql, [model]).fetchall()]

    def counts(self, model: str) -> dict[str, object]:
        one = self.db.execute
        photos = one("select count(*) from photos").fetchone()[0]
        coded = one(
            "select count(*) from photos p join codes c on c.hash = p.hash and c.model = ?"
            " where p.status = 'indexed'",
            [model],
        ).fetchone()[0]
        reasons = dict(
            one(
                "select reason, count(*) from photos where status = 'error' group by reason"
                " order by reason"
            ).fetchall()
        )
        return {"photos": photos, "indexed": coded, "errors": reasons}

    def dismiss(self, hashes: list[str]) -> None:
        with self.writing() as db:
            db.table("dismissed").upsert(
                {"hashes": ",".join(hashes), "created_at": time.time()}, pk="hashes"
            )

    def dismissed(self) -> list[frozenset[str]]:
        return [frozenset(r[0].split(",")) for r in self.db.execute("select hashes from dismissed")]

    def integrity_ok(self) -> bool:
        return self.db.execute("pragma integrity_check").fetchone()[0] == "ok"


def _connect(path: Path) -> Database:
    if path.exists() and not path.is_file():
        raise LibraryError(f"{path} is not a file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise LibraryError(f"{path} is not a Twinlens library (not an SQLite database)")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
        db = Database(conn)
        db.execute(f"pragma busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        db.enable_wal()
        db.execute("pragma synchronous = normal")
        db.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise LibraryError(_open_failure(path, exc)) from exc
    return db


def _open_failure(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another program; close it and try again"
    if "readonly" in text or "read-only" in text:
        return f"{path} is on a read-only medium; copy it somewhere writable"
    if "malformed" in text or "not a database" in text:
        return f"{path} is damaged ({text}); it was left untouched"
    return f"cannot open the library {path}: {text}"


def _photo(row: dict[str, Any]) -> PhotoRow:
    return PhotoRow(
        id=int(row["id"]),
        path=str(row["path"]),
        size=int(row["size"] or 0),
        mtime_ns=int(row["mtime_ns"] or 0),
        hash=row["hash"],
        status=str(row["status"]),
        reason=row["reason"],
        detail=row["detail"],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
