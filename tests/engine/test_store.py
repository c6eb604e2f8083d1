"""The library database: schema steps, refusal of damaged and newer libraries, atomic writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from twinlens.engine.errors import LibraryError, LibraryTooNew
from twinlens.engine.storage.migrations import known_names
from twinlens.engine.storage.store import ContentFacts, Store


def test_new_library_is_created_with_wal(tmp_path: Path) -> None:
    store = Store(tmp_path / "lib.twinlens")
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert {"photos", "codes", "contents", "roots", "settings"} <= set(store.db.table_names())
    assert store.integrity_ok()
    store.close()


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "lib.twinlens"
    Store(path).close()
    store = Store(path)
    count = store.db.execute("select count(*) from _sqlite_migrations").fetchone()[0]
    assert count == len(known_names())
    store.close()


def test_library_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "lib.twinlens"
    store = Store(path)
    store.db["_sqlite_migrations"].insert(
        {"migration_set": "twinlens", "name": "m999_future", "applied_at": "2030"}
    )
    store.close()
    before = path.read_bytes()
    with pytest.raises(LibraryTooNew, match="newer Twinlens"):
        Store(path)
    assert path.read_bytes() == before


def test_file_that_is_not_a_library_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg.twinlens"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="not a Twinlens library"):
        Store(path)
    assert path.read_bytes() == before


def test_damaged_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "lib.twinlens"
    Store(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\x00" * (4096 - 100)  # wipe the schema page after the header
    path.write_bytes(bytes(data))
    with pytest.raises(LibraryError, match=r"damaged|cannot open"):
        Store(path)


def test_locked_library_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "lib.twinlens"
    Store(path).close()
    holder = sqlite3.connect(path)
    holder.execute("pragma locking_mode = exclusive")
    holder.execute("begin exclusive")
    try:
        with pytest.raises(LibraryError, match="locked"):
            Store(path, busy_timeout_s=0.1)
    finally:
        holder.rollback()
        holder.close()


def test_write_is_atomic(tmp_path: Path) -> None:
    store = Store(tmp_path / "lib.twinlens")
    facts = [ContentFacts("h1", 10, 10, "JPEG", "", "", b"\x00" * 128)]

    def crash_mid_batch() -> None:
        with store.writing() as db:
            db["contents"].insert(facts[0].__dict__)
            raise RuntimeError("crash in the middle of a batch")

    with pytest.raises(RuntimeError, match="crash"):
        crash_mid_batch()
    assert store.facts(["h1"]) == {}
    store.record_indexed(
        [("/x/a.jpg", 1, 2, "h1")], facts, [("h1", "m@1", "semantic", b"\x00" * 8)]
    )
    assert store.facts(["h1"])["h1"].width == 10
    assert store.hashes_with_code("m@1", ["semantic"]) == {"h1"}
    assert store.hashes_with_code("m@1", ["semantic", "duplicate"]) == set()
    store.close()
