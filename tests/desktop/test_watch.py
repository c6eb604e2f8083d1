"""A watched folder updates the grid by itself: a photo added, then one deleted."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_photo
from tests.desktop.conftest import make_window
from twinlens.engine.library import Library


def test_watch_adds_and_removes_photos_in_the_grid(qtbot, scanned: Library, photos: Path):
    window = make_window(qtbot, scanned, watch=True, rows=7)
    qtbot.waitUntil(lambda: window.session._watcher is not None, timeout=10_000)
    assert window.session._watcher.wait_until_idle(10)
    with qtbot.waitSignal(window.session.library_changed, timeout=15_000):
        make_photo(photos / "new arrival.jpg", 77)
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=5_000)
    assert "new arrival.jpg" in [e.name for e in window.model.entries()]
    with qtbot.waitSignal(window.session.library_changed, timeout=15_000):
        (photos / "other20.jpg").unlink()
    qtbot.waitUntil(lambda: window.model.rowCount() == 7, timeout=5_000)
    assert "other20.jpg" not in [e.name for e in window.model.entries()]
