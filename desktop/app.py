"""The desktop app's entry point: QApplication, logging, settings, the library, the window.

Startup does only what the first frame needs: the library file is opened (a few ms), the
window is shown, and the photo list, the model and the folder watcher arrive from workers.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from twinlens.engine import Library, TwinlensError, bundled_samples, default_library_path

from . import settings as keys
from .jobs import Jobs
from .main_window import MainWindow
from .messages import error_text
from .session import Session
from .settings import UiSettings
from .thumbnail_provider import ThumbnailProvider

log = logging.getLogger(__name__)

SAMPLES_LIBRARY = "samples.twinlens"
SMOKE_ENV = "TWINLENS_SMOKE"


def setup_logging() -> None:
    """Warnings and errors to stderr; the app is the only place that installs a handler."""
    logging.basicConfig(
        level=logging.INFO if "--verbose" in sys.argv else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def application(argv: Sequence[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName(keys.APPLICATION)
    app.setOrganizationName(keys.ORGANIZATION)
    app.setApplicationDisplayName("Twinlens")
    app.setDesktopFileName("twinlens")
    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
    return app


def app_icon() -> QIcon | None:
    from importlib.resources import files

    path = Path(str(files("twinlens.resources").joinpath("icons", "twinlens.svg")))
    return QIcon(str(path)) if path.is_file() else None


def library_path(settings: UiSettings) -> Path:
    """The library used last, else the default one."""
    last = settings.get(keys.LAST_LIBRARY)
    return Path(last) if last and Path(last).exists() else default_library_path()


def build_window(
    library: Library, settings: UiSettings | None = None, watch: bool = True
) -> MainWindow:
    """The window showing ``library``, with its jobs, thumbnails and settings (tests use it)."""
    settings = settings or UiSettings()
    jobs = Jobs()
    window = MainWindow(settings, jobs, ThumbnailProvider())
    jobs.setParent(window)
    window.set_session(Session(library, jobs, watch=watch))
    window.samples_opener = lambda: open_samples(window, watch)
    return window


def open_samples(window: MainWindow, watch: bool = True) -> None:
    """Open the sample library beside the default library, indexing it the first time."""
    path = default_library_path().with_name(SAMPLES_LIBRARY)
    try:
        library = Library(path)
    except TwinlensError as exc:
        window.show_message(error_text(exc))
        return
    window.replace_session(Session(library, window.jobs, watch=watch))
    if window.session is not None and not library.roots():
        window.session.add_folders([bundled_samples()])


def main(argv: Sequence[str] | None = None) -> int:
    setup_logging()
    app = application(argv)
    settings = UiSettings()
    try:
        library = Library(library_path(settings))
    except TwinlensError as exc:
        QMessageBox.critical(None, "Twinlens", error_text(exc))
        return 2
    window = build_window(library, settings)
    window.show()
    if os.environ.get(SMOKE_ENV):  # packaging check: open, load the model, close
        assert window.session is not None
        window.session.model_ready.connect(lambda _: QTimer.singleShot(500, window.close))
        window.session.model_failed.connect(lambda _: app.exit(3))
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
