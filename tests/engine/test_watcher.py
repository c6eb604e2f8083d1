"""Folder watching: the library follows adds, edits, renames, deletes, partial copies, bursts.

Every wait is on a condition (the watcher idle, a row in the library), never a fixed sleep.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.indexing.watcher import LibraryChange, Watcher
from twinlens.engine.library import Library

SETTLE = 0.2


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class Recorder:
    def __init__(self) -> None:
        self.changes: list[LibraryChange] = []
        self.lock = threading.Lock()

    def __call__(self, change: LibraryChange) -> None:
        with self.lock:
            self.changes.append(change)

    def errors(self) -> list[tuple[str, str]]:
        with self.lock:
            return [e for c in self.changes for e in c.errors]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    photos = tmp_path / "watched"
    photos.mkdir()
    for index in range(3):
        make_photo(photos / f"p{index}.jpg", seed=index)
    return photos


@pytest.fixture
def live(
    tiny_model: Path, library_path: Path, folder: Path
) -> Iterator[tuple[Library, Watcher, Recorder]]:
    library = Library(library_path)
    library.add_roots([folder])
    recorder = Recorder()
    watcher = library.watch(recorder, settle=SETTLE)
    assert watcher.wait_until_idle()
    yield library, watcher, recorder
    watcher.stop()
    library.close()


def _paths(library: Library) -> set[str]:
    return {Path(r.path).name for r in library.store.indexed_photos()}


def test_watch_reconciles_on_start(live, folder: Path) -> None:
    library, _, recorder = live
    assert _paths(library) == {"p0.jpg", "p1.jpg", "p2.jpg"}
    assert recorder.changes[0].reconciled


def test_watch_indexes_a_new_photo(live, folder: Path) -> None:
    library, watcher, recorder = live
    make_photo(folder / "new.jpg", seed=10)
    wait_for(lambda: "new.jpg" in _paths(library))
    assert watcher.wait_until_idle()
    assert any(p.endswith("new.jpg") for c in recorder.changes for p in c.indexed)


def test_watch_reencodes_a_modified_photo(live, folder: Path) -> None:
    library, _watcher, _ = live
    old = library.store.photo_by_path(str(folder / "p1.jpg")).hash
    make_photo(folder / "p1.jpg", seed=55)
    wait_for(lambda: library.store.photo_by_path(str(folder / "p1.jpg")).hash != old)


def test_watch_rename_keeps_the_code(live, folder: Path) -> None:
    library, _watcher, _ = live
    key = library.encoder.meta.key
    codes_before = library.store.hashes_with_code(key, library.model.code_kinds)
    (folder / "p0.jpg").rename(folder / "renamed.jpg")
    wait_for(lambda: _paths(library) == {"renamed.jpg", "p1.jpg", "p2.jpg"})
    assert library.store.hashes_with_code(key, library.model.code_kinds) == codes_before


def test_watch_delete_and_folder_move(live, folder: Path) -> None:
    library, _watcher, _ = live
    (folder / "p2.jpg").unlink()
    wait_for(lambda: "p2.jpg" not in _paths(library))
    sub = folder / "album"
    sub.mkdir()
    make_photo(sub / "a.jpg", seed=20)
    wait_for(lambda: "a.jpg" in _paths(library))
    sub.rename(folder / "album 2019")
    wait_for(
        lambda: (
            str(folder / "album 2019" / "a.jpg") in {r.path for r in library.store.indexed_photos()}
        )
    )
    assert not library.store.photos_under(sub)


def test_watch_waits_for_a_partial_copy(live, folder: Path) -> None:
    library, watcher, recorder = live
    source = make_photo(folder.parent / "big.jpg", seed=30, size=(1600, 1200))
    data = source.read_bytes()
    target = folder / "copying.jpg"
    with target.open("wb") as handle:
        handle.write(data[: len(data) // 3])
        handle.flush()
        # The watcher sees the partial file; it must not report it as broken.
        wait_for(
            lambda: library.store.photo_by_path(str(target)) is not None or watcher.saw(target)
        )
        handle.write(data[len(data) // 3 :])
    wait_for(
        lambda: (
            (row := library.store.photo_by_path(str(target))) is not None
            and row.status == "indexed"
        )
    )
    assert not [e for e in recorder.errors() if e[0] == str(target)]


def test_watch_handles_a_burst_in_batches(live, folder: Path, tmp_path: Path) -> None:
    library, watcher, _ = live
    staging = tmp_path / "staging"
    staging.mkdir()
    for index in range(150):
        make_photo(staging / f"b{index:03d}.jpg", seed=100 + index, size=(64, 48))
    shutil.move(str(staging), str(folder / "burst"))
    wait_for(lambda: len(_paths(library)) == 153, timeout=60)
    assert watcher.wait_until_idle()


def test_unplugged_root_keeps_its_records(
    tiny_model: Path, library_path: Path, folder: Path, tmp_path: Path
) -> None:
    library = Library(library_path)
    library.add_roots([folder])
    library.run_scan()
    parked = tmp_path / "parked"
    shutil.move(str(folder), str(parked))
    watcher = library.watch(Recorder(), settle=SETTLE)
    try:
        assert watcher.wait_until_idle()
        assert library.info().photos == 3  # nothing wiped while the drive is away
        shutil.move(str(parked), str(folder))
        make_photo(folder / "while_away.jpg", seed=40)
        wait_for(lambda: "while_away.jpg" in _paths(library), timeout=30)
    finally:
        watcher.stop()
        library.close()


def test_a_library_that_can_no_longer_be_written_stops_the_watcher(
    live, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a damaged file) must not be watched on as if nothing happened: the
    watcher stops and says why, so ``watch`` ends with that message instead of dropping
    every later change."""
    from twinlens.engine.errors import LibraryError, LibraryReason

    library, watcher, _ = live

    def full(*args: object, **kwargs: object) -> None:
        raise LibraryError("the disk holding it is full", LibraryReason.DISK_FULL)

    monkeypatch.setattr(library.store, "record_indexed", full)
    make_photo(folder / "late.jpg", seed=12)
    wait_for(lambda: watcher.failure is not None)
    assert watcher.failure.reason is LibraryReason.DISK_FULL
