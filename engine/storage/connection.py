"""Opening the library file and translating SQLite's failures: the storage layer's edges.

Every sqlite3 error that reaches the engine passes through :func:`library_error`, so a locked,
damaged, full or read-only library always reads the same way, whichever query met it.

Two rules keep several processes (the app, ``watch``, a ``scan``) safe on one file:
- nothing but SQLite ever opens the database file. A POSIX process that opens and closes a
  file by any other means drops every lock SQLite holds on it, and another process may then
  checkpoint and delete the write-ahead log under it: that is how ``watch``'s commits became
  invisible to other processes (issue 10);
- connections run in autocommit mode and every write is an explicit ``BEGIN IMMEDIATE``
  (store.py), so a write takes its lock up front and waits for it, instead of failing when
  a read transaction would have to be upgraded.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from twinlens.engine.errors import LibraryError, LibraryReason
from twinlens.engine.paths import shown


def library_error(path: Path, exc: BaseException, doing: str = "use") -> LibraryError:
    """One clear LibraryError for any failure of SQLite (or of the file system under it)."""
    text = str(exc)
    lowered = text.lower()
    name = shown(path)
    if "locked" in lowered or "busy" in lowered:
        return LibraryError(
            f"{name} is locked by another program; close it and try again", LibraryReason.LOCKED
        )
    if "readonly" in lowered or "read-only" in lowered:
        return LibraryError(
            f"{name} is on a read-only medium or folder; copy it somewhere writable",
            LibraryReason.READ_ONLY,
        )
    if "malformed" in lowered or "corrupt" in lowered:
        return LibraryError(
            f"{name} is damaged ({text}); it was left untouched. `twinlens rebuild` makes a"
            " new library from its folders and keeps the damaged file aside",
            LibraryReason.DAMAGED,
        )
    if "not a database" in lowered:
        return LibraryError(
            f"{name} is not a Twinlens library (not an SQLite database); it was left untouched",
            LibraryReason.NOT_A_LIBRARY,
        )
    if "disk is full" in lowered or "no space" in lowered:
        return LibraryError(
            f"the disk holding {name} is full; free some space and run the command again"
            " (what was written before is kept)",
            LibraryReason.DISK_FULL,
        )
    return LibraryError(f"cannot {doing} the library {name}: {text}", LibraryReason.UNAVAILABLE)


def connect(path: Path, create: bool, busy_timeout_s: float) -> Database:
    """A connection to the library at ``path`` in WAL mode, or a LibraryError saying why not.

    A missing file is created only when ``create`` is true, so read-only commands never
    leave an empty library (or its folders) behind.
    """
    if path.exists() and not path.is_file():
        raise LibraryError(f"{shown(path)} is not a file", LibraryReason.NOT_A_LIBRARY)
    if not path.exists():
        if not create:
            raise LibraryError(
                f"there is no library at {shown(path)} yet: `twinlens scan FOLDER` creates it",
                LibraryReason.MISSING,
            )
        _make_folder(path.parent)
    deadline = time.monotonic() + 2 * busy_timeout_s
    while True:
        try:
            return _open(path, busy_timeout_s)
        except sqlite3.OperationalError as exc:
            # Two processes creating one library at once meet here: wait our turn.
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise library_error(path, exc, "open") from exc
            time.sleep(0.05)
        except sqlite3.DatabaseError as exc:
            raise library_error(path, exc, "open") from exc


def _open(path: Path, busy_timeout_s: float) -> Database:
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, check_same_thread=False, isolation_level=None
    )
    try:
        db = Database(conn)
        db.execute(f"pragma busy_timeout = {int(busy_timeout_s * 1000)}")
        db.execute("select count(*) from sqlite_master").fetchone()  # not a database: raises
        db.enable_wal()
        db.execute("pragma synchronous = normal")
    except BaseException:
        conn.close()
        raise
    return db


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LibraryError(
            f"cannot create the folder {shown(folder)} for the library: {reason}",
            LibraryReason.UNAVAILABLE,
        ) from exc
