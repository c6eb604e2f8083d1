"""Search by example through real drops: file URLs, image data, and folders to add."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from tests.conftest import make_photo
from tests.desktop.conftest import make_window
from twinlens.desktop.main_window import SEARCH_TAB
from twinlens.engine.library import Library


def drop(widget, mime: QMimeData) -> bool:
    """Deliver a drag-enter and a drop, as Qt does when a person lets go over ``widget``."""
    pos = QPoint(widget.width() // 2, widget.height() // 2)
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():
        # PySide marks QDragEnterEvent's only constructor deprecated; Qt itself still uses it.
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_drop_file_url_answers_already_in_library(qtbot, window, photos: Path, tmp_path: Path):
    outside = tmp_path / "from-the-web.jpg"
    shutil.copy(photos / "beach.jpg", outside)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    with qtbot.waitSignal(window.session.search_done, timeout=10_000):
        assert drop(window, mime)
    assert window.tabs.currentIndex() == SEARCH_TAB
    assert "Yes: this very file is already in your library" in window.search.answer_label.text()
    results = window.search.result_paths()
    assert Path(results[0]).name in {"beach.jpg", "beach copy.jpg", "beach-small.jpg"}
    # the three copies of the beach photo are collapsed into one result
    assert len(results) == 4
    assert "copies" in window.search.model.data(window.search.model.index(0))


def test_drop_image_data_searches_by_pixels(qtbot, window, photos: Path):
    mime = QMimeData()
    mime.setImageData(QImage(str(photos / "other40.jpg")))
    with qtbot.waitSignal(window.session.search_done, timeout=10_000) as signal:
        assert drop(window, mime)
    answer = signal.args[0]
    assert answer.in_library == "same_photo"
    assert Path(answer.closest).name == "other40.jpg"
    assert "Yes: the same photo is already in your library" in window.search.answer_label.text()


def test_drop_unrelated_image_says_not_in_library(qtbot, window, tmp_path: Path):
    stranger = make_photo(tmp_path / "stranger.png", 999)
    mime = QMimeData()
    mime.setData("image/png", stranger.read_bytes())
    with qtbot.waitSignal(window.session.search_done, timeout=10_000) as signal:
        assert drop(window, mime)
    assert signal.args[0].in_library in {"", "similar_shot"}
    assert window.search.answer_label.text().startswith("<h2>No")


def test_drop_folder_on_welcome_adds_and_indexes_it(qtbot, tiny_model, photos, library: Library):
    window = make_window(qtbot, library, rows=0)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == 0)  # the welcome page
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos))])
    with qtbot.waitSignal(window.jobs.job_started, timeout=5_000) as started:
        assert drop(window.welcome, mime)
    job = started.args[0]
    assert window.job_panel.isVisible()
    with qtbot.waitSignal(job.succeeded, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: window.model.rowCount() == 7, timeout=10_000)
    assert window.stack.currentIndex() == 1
    assert window.side.folders.count() == 1
    assert window.side.folders.item(0).data(Qt.ItemDataRole.UserRole + 1) == photos.resolve()
