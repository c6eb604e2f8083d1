"""Desktop fixtures: a window over a small scanned library, isolated settings, leak checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo, unmet
from twinlens.engine.library import Library

try:
    from PySide6.QtCore import QSettings, QThreadPool
except ImportError as exc:  # the package, or a system library Qt needs (test.sh installs them)
    _QT_MISSING = f"the desktop tests need PySide6 (pip install -e '.[desktop]'): {exc}"

    class _WithoutQt(pytest.Module):
        """A desktop test module that cannot run here: one skip line (a failure under
        CI=true) instead of a suite that vanishes; the engine and CLI tests still run."""

        def collect(self) -> list[pytest.Item]:
            unmet(_QT_MISSING)

    def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module:
        return _WithoutQt.from_parent(parent, path=module_path)


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QSettings and the thumbnail cache live in tmp_path: never the developer's real ones."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    monkeypatch.setenv("TWINLENS_CACHE", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _no_dangling_workers(qapp: object) -> Iterator[None]:
    """Fail a test that leaves work running on the global QThreadPool (napari's rule)."""
    yield
    pool = QThreadPool.globalInstance()
    running = pool.activeThreadCount()
    pool.waitForDone(10_000)
    assert running == 0, f"the test left {running} QThreadPool worker(s) running"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A folder with an exact copy, a resized copy, three other photos and a damaged file."""
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "beach.jpg", 1, size=(480, 360))
    shutil.copy(folder / "beach.jpg", folder / "beach copy.jpg")
    Image.open(folder / "beach.jpg").resize((240, 180)).save(folder / "beach-small.jpg", quality=90)
    for seed in (20, 40, 60):
        make_photo(folder / f"other{seed}.jpg", seed)
    (folder / "broken.jpg").write_bytes(b"")
    return folder


@pytest.fixture
def scanned(tiny_model: Path, photos: Path, library: Library) -> Library:
    library.add_roots([photos])
    library.run_scan()
    return library


def make_window(qtbot, library: Library, watch: bool = False, rows: int | None = None):
    """A shown main window over ``library``; waits until the grid lists ``rows`` photos."""
    from twinlens.desktop.app import build_window

    window = build_window(library, watch=watch)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    if rows is not None:
        qtbot.waitUntil(lambda: window.model.rowCount() == rows, timeout=10_000)
    return window


@pytest.fixture
def window(qtbot, scanned: Library):
    win = make_window(qtbot, scanned, rows=7)
    qtbot.waitUntil(lambda: win.stack.currentIndex() == 1, timeout=10_000)  # folders listed
    qtbot.waitUntil(lambda: bool(win.session and win.session.provider), timeout=10_000)
    return win
