"""First run, later runs, settings, progress with Cancel, and errors in words."""

from __future__ import annotations

import threading
from collections.abc import Generator
from pathlib import Path

from tests.desktop.conftest import make_window
from twinlens.desktop import settings as keys
from twinlens.desktop.app import library_path
from twinlens.desktop.jobs import Jobs
from twinlens.desktop.messages import error_text
from twinlens.desktop.settings import UiSettings
from twinlens.engine.errors import LibraryError
from twinlens.engine.library import Library
from twinlens.engine.progress import CancelToken, Progress


def test_first_run_shows_welcome_and_later_runs_reopen_the_library(qtbot, tiny_model, library):
    window = make_window(qtbot, library, rows=0)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 0)
    assert window.welcome.add_button.isVisible()
    window.zoom.setValue(240)
    window.close()
    settings = UiSettings()
    assert Path(settings.get(keys.LAST_LIBRARY)) == library.path
    assert settings.get(keys.THUMBNAIL_SIZE) == 240
    assert library_path(settings) == library.path
    assert Path(settings.store.fileName()).is_relative_to(Path(library.path).parent)


def test_job_reports_progress_and_cancels(qtbot) -> None:
    """Cancel stops the engine's generator: this one never ends by itself, so only a cancel
    that reaches it ends the job (a test-only stop ends it otherwise, and fails the test)."""
    jobs = Jobs()
    stop = threading.Event()  # the test's own way out, so a broken cancel cannot hang it

    def work(token: CancelToken) -> Generator[Progress, None, str]:
        progress = Progress("indexing", total=1000)
        while not token.cancelled:
            if stop.wait(0.002):
                return "stopped by the test, never cancelled"
            progress.done += 1
            yield progress
        return "cancelled"

    job = jobs.run("Indexing", work)
    try:
        with qtbot.waitSignal(job.progressed, timeout=5_000) as first:
            pass
        assert "of 1,000 photos" in first.args[0].text
        assert "per second" in first.args[0].text
        with qtbot.waitSignal(job.succeeded, timeout=5_000) as result:
            job.cancel()
        assert result.args[0] == "cancelled"
        assert job.cancelled
    finally:
        stop.set()
    qtbot.waitUntil(lambda: not jobs.busy())


def test_engine_errors_read_as_words() -> None:
    assert error_text(LibraryError("x.twinlens is damaged")).startswith("The library cannot")
    assert "Traceback" not in error_text(RuntimeError("boom"))


def whole(_rows: list, complete: bool) -> bool:
    return complete


def test_zoom_and_sort_change_the_grid(qtbot, window, scanned: Library):
    window.zoom.setValue(300)
    assert window.grid.iconSize().width() == 300
    with qtbot.waitSignal(window.session.photos_loaded, timeout=5_000, check_params_cb=whole):
        window.sort_box.setCurrentText("Name")
    names = [e.name for e in window.model.entries()]
    assert names == sorted(names, key=str.lower)
    with qtbot.waitSignal(window.session.photos_loaded, timeout=5_000, check_params_cb=whole):
        window.sort_box.setCurrentText("Size")
    sizes = [e.size for e in window.model.entries()]
    assert sizes == sorted(sizes, reverse=True)


def test_thumbnails_load_off_the_gui_thread(qtbot, window):
    """A thumbnail is decoded on the provider's pool, never on the GUI thread, and lands in
    the cache for the GUI to paint."""
    entry = window.model.entries()[0]
    provider = window.thumbnails
    size = window.model.tile_size + 17  # a size nothing asked for yet: it must be loaded
    gui = threading.get_ident()
    loads: list[tuple[str, int, int]] = []  # path, side, thread
    get = provider.thumbnails.get

    def recording(path, side, content=None):  # type: ignore[no-untyped-def]
        loads.append((path, side, threading.get_ident()))
        return get(path, side, content)

    provider.thumbnails.get = recording
    try:
        assert provider.pixmap(entry.path, size, entry.hash) is None  # asked, not there yet
        qtbot.waitUntil(lambda: provider.pixmap(entry.path, size, entry.hash) is not None)
        pixmap = provider.pixmap(entry.path, size, entry.hash)
    finally:
        provider.thumbnails.get = get
    assert max(pixmap.width(), pixmap.height()) <= size
    assert [t for p, s, t in loads if (p, s) == (entry.path, size)], "never loaded"
    assert all(t != gui for _, _, t in loads), "a thumbnail was decoded on the GUI thread"
