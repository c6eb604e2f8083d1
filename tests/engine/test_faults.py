"""Crash safety and faults: kill -9 mid-scan, read-only and old libraries, odd files on disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.errors import LibraryError
from twinlens.engine.library import Library
from twinlens.engine.storage.migrations import migrations
from twinlens.engine.storage.store import Store


def _indexed_rows(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from photos where status='indexed'").fetchone()[0]
    except sqlite3.Error:
        return 0


# The scan in a child process that stops for good in the middle of its third batch's
# transaction (rows written, no commit yet), says so on stdout and waits to be killed: the
# kill lands mid-scan and mid-write every time, however fast or slow the machine is.
PAUSED_SCAN = """
import sys, threading
import twinlens.engine.storage.store as store
from twinlens.engine.cli import main

batch, written = int(sys.argv[1]), 0
upsert = store.upsert_photo

def upsert_then_pause(*args, **kwargs):
    global written
    upsert(*args, **kwargs)
    written += 1
    if written == 2 * batch + batch // 2:
        print("paused", flush=True)
        threading.Event().wait()

store.upsert_photo = upsert_then_pause
sys.exit(main(["scan", sys.argv[2], "--library", sys.argv[3]]))
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_scan_killed_with_sigkill_resumes_without_reencoding(
    tiny_model: Path, tmp_path: Path
) -> None:
    import select

    from twinlens.engine.config import EngineConfig

    batch = EngineConfig().batch_size
    folder = tmp_path / "many"
    folder.mkdir()
    total = 4 * batch
    for index in range(total):
        make_photo(folder / f"p{index:03d}.jpg", seed=index, size=(160, 120))
    library_path = tmp_path / "crash.twinlens"
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_SCAN, str(batch), str(folder), str(library_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 120)
        assert ready, "the scan never reached its third batch"
        assert process.stdout.readline() == "paused\n"
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done = _indexed_rows(library_path)
    assert done == 2 * batch  # the two committed batches, none of the third's written rows
    with Library(library_path) as library:
        assert library.store.integrity_ok()
        summary = library.run_scan()
        assert summary.unchanged == done
        assert summary.encoded == total - done
        assert library.info().indexed == total


def test_backup_is_taken_before_a_schema_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.twinlens"
    store = Store.__new__(Store)  # an old library: only the first schema step applied
    from sqlite_utils import Database

    db = Database(path)
    migrations.apply(db, stop_before="m002_trash_journal_and_dismissals")
    db.close()
    del store
    Store(path).close()
    backups = list(tmp_path.glob("old.twinlens.before-m002*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        names = {r[0] for r in conn.execute("select name from _sqlite_migrations")}
    assert names == {"m001_initial"}


def test_read_only_library_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "ro.twinlens"
    Store(path).close()
    real_connect = sqlite3.connect

    def read_only(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.execute("pragma query_only = 1")
        return conn

    monkeypatch.setattr(sqlite3, "connect", read_only)
    monkeypatch.setattr("twinlens.engine.storage.store.sqlite3.connect", read_only)
    before = path.read_bytes()
    with pytest.raises(LibraryError, match=r"read-only|cannot"):
        Store(path).set_setting("x", "y")
    assert path.read_bytes() == before


def test_symbolic_links_are_skipped_never_indexed(tiny_model: Path, tmp_path: Path) -> None:
    """A link is never a copy of its target (issue 10): loops, dangling and good links alike."""
    folder = tmp_path / "links"
    folder.mkdir()
    make_photo(folder / "real.jpg", seed=1)
    (folder / "loop_a.jpg").symlink_to(folder / "loop_b.jpg")
    (folder / "loop_b.jpg").symlink_to(folder / "loop_a.jpg")
    (folder / "dangling.jpg").symlink_to(folder / "missing.jpg")
    (folder / "sub").mkdir()
    (folder / "good_link.jpg").symlink_to(folder / "real.jpg")
    (folder / "sub" / "back_up").symlink_to(folder, target_is_directory=True)  # a folder loop
    with Library(tmp_path / "l.twinlens") as library:
        summary = library.run_scan(library.add_roots([folder]))
        assert summary.encoded == 1
        assert summary.links_skipped == 4
        assert summary.errors == []
        assert [Path(r.path).name for r in library.store.indexed_photos()] == ["real.jpg"]
        assert library.duplicate_groups() == []


def test_file_vanishing_between_listing_and_reading(
    tiny_model: Path, tmp_path: Path, monkeypatch
) -> None:
    from twinlens.engine.indexing.pipeline import Pipeline

    folder = tmp_path / "v"
    folder.mkdir()
    make_photo(folder / "stays.jpg", seed=1)
    make_photo(folder / "goes.jpg", seed=2)
    real_read = Pipeline._read

    def read_after_delete(self, stat):
        if stat.path.name == "goes.jpg":
            stat.path.unlink()
        return real_read(self, stat)

    monkeypatch.setattr(Pipeline, "_read", read_after_delete)
    with Library(tmp_path / "l.twinlens") as library:
        summary = library.run_scan(library.add_roots([folder]))
    assert summary.encoded == 1
    assert [(Path(e.path).name, e.reason) for e in summary.errors] == [("goes.jpg", "vanished")]
