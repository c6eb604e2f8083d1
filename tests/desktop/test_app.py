"""First run, later runs, settings, progress with Cancel, and errors in words."""

from __future__ import annotations

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
    jobs = Jobs()

    def work(token: CancelToken) -> Generator[Progress, None, str]:
        progress = Progress("indexing", total=1000)
        while not token.cancelled:
            progress.done += 1
            yield progress
            if progress.done == 1000:
                return "finished"
        return "cancelled"

    job = jobs.run("Indexing", work)
    with qtbot.waitSignal(job.progressed, timeout=5_000) as first:
        pass
    assert "of 1,000 photos" in first.args[0].text
    assert "per second" in first.args[0].text
    with qtbot.waitSignal(job.succeeded, timeout=5_000) as result:
        job.cancel()
    assert result.args[0] in {"cancelled", "finished"}
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
    entry = window.model.entries()[0]
    provider = window.thumbnails
    size = window.model.tile_size
    if provider.pixmap(entry.path, size, entry.hash) is None:
        with qtbot.waitSignal(provider.ready, timeout=5_000):
            pass
    qtbot.waitUntil(lambda: provider.pixmap(entry.path, size, entry.hash) is not None)
