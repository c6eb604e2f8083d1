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
from twinlens.engine.media.files import is_under

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


class ScanSpy:
    """Records what each of the watcher's scans was asked to read (a list of targets)."""

    def __init__(self, watcher: Watcher, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[Path]] = []
        self.lock = threading.Lock()
        scan = watcher.scanner.scan

        def recording(targets, *args, **kwargs):  # type: ignore[no-untyped-def]
            targets = list(targets)
            self.seen(targets)
            with self.lock:
                self.calls.append(targets)
            return scan(targets, *args, **kwargs)

        monkeypatch.setattr(watcher.scanner, "scan", recording)

    def seen(self, targets: list[Path]) -> None:
        """Subclasses look at the disk as each scan starts."""

    def covering(self, path: Path) -> list[list[Path]]:
        with self.lock:
            return [c for c in self.calls if any(is_under(str(path), str(t)) for t in c)]


def test_watch_waits_for_a_partial_copy(
    tiny_model: Path, library_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that pauses longer than the quiet period (``settle``) is still not read while
    its size and time move: the watcher looks at the quiet partial file, defers it, sees it
    changed by its next look, and reads it only once it holds still. Any scan of the partial
    file fails this test, even one whose error the watcher would hide by retrying it."""
    import twinlens.engine.indexing.watcher as watching

    source = make_photo(folder.parent / "big.jpg", seed=30, size=(1600, 1200))
    data = source.read_bytes()
    target = folder / "copying.jpg"
    library = Library(library_path)
    library.add_roots([folder])
    watcher = library.watch(Recorder(), settle=1.0)  # the time the test has to write the rest
    recorder = watcher.on_change
    assert isinstance(recorder, Recorder)
    # The watcher's first look at the partial file ends either deferred (it stays dirty) or
    # read (a scan covers it, and the scan spy records its size then): the test goes on
    # writing only once that round is over, whatever the machine's speed.
    examined, round_over = threading.Event(), threading.Event()
    sizes: list[int] = []
    quick_stat, take_ready = watching._quick_stat, watcher._take_ready

    def stat_seen(path: str):  # type: ignore[no-untyped-def]
        if path == str(target):
            examined.set()
        return quick_stat(path)

    def deferred() -> list[str]:
        ready = take_ready()
        if examined.is_set() and str(target) not in ready:
            round_over.set()
        return ready

    class Sizes(ScanSpy):
        def seen(self, targets: list[Path]) -> None:
            if target.exists() and any(is_under(str(target), str(t)) for t in targets):
                sizes.append(target.stat().st_size)
                round_over.set()

    monkeypatch.setattr(watching, "_quick_stat", stat_seen)
    monkeypatch.setattr(watcher, "_take_ready", deferred)
    Sizes(watcher, monkeypatch)
    try:
        assert watcher.wait_until_idle()
        with target.open("wb") as handle:
            handle.write(data[: len(data) // 3])
            handle.flush()
            assert round_over.wait(20), "the watcher never looked at the quiet partial file"
            handle.write(data[len(data) // 3 :])
        wait_for(
            lambda: (
                (row := library.store.photo_by_path(str(target))) is not None
                and row.status == "indexed"
            )
        )
        assert sizes, "the finished copy was never read"
        assert set(sizes) == {len(data)}, f"read while {sizes} of {len(data)} bytes were there"
        assert not [e for e in recorder.errors() if e[0] == str(target)]
    finally:
        watcher.stop()
        library.close()


def test_watch_handles_a_burst_in_batches(
    live, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """150 photos landing one by one in a watched folder are read like a scan of that folder:
    a few rounds over the folder, never 150 single-file reads nor a round per file."""
    library, watcher, recorder = live
    album = folder / "album"
    album.mkdir()
    make_photo(album / "first.jpg", seed=99)
    wait_for(lambda: "first.jpg" in _paths(library))  # the new folder's own events are done
    assert watcher.wait_until_idle()
    spy = ScanSpy(watcher, monkeypatch)
    staging = tmp_path / "staging"
    staging.mkdir()
    for index in range(150):
        make_photo(staging / f"b{index:03d}.jpg", seed=100 + index, size=(64, 48))
    for photo in sorted(staging.iterdir()):
        photo.rename(album / photo.name)  # each file its own event
    wait_for(lambda: len(_paths(library)) == 154, timeout=60)
    assert watcher.wait_until_idle()
    rounds = spy.covering(album / "b000.jpg")
    assert 1 <= len(rounds) <= 3, [len(r) for r in rounds]
    # Listed as a folder, not probed file by file.
    assert all(t.is_dir() and len(targets) <= 3 for targets in rounds for t in targets), rounds
    with recorder.lock:
        reported = [c for c in recorder.changes if any("b0" in Path(p).name for p in c.indexed)]
    assert sum(len(c.indexed) for c in reported) == 150
    assert len(reported) <= 3


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
