"""What can be done with any photo, wherever its thumbnail is: one menu for every grid.

Opening and showing go straight to the desktop; finding similar photos and moving to the
trash are requests the main window carries out through the engine.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote_from_bytes

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from twinlens.engine import shown

FIND_SIMILAR = "Find similar"
SHOW_IN_FOLDER = "Show in folder"
OPEN = "Open"
COPY_PATH = "Copy path"
MOVE_TO_TRASH = "Move to trash"


class PhotoActions(QObject):
    """Builds the photo context menu and performs the actions that need no engine."""

    find_similar = Signal(object)  # path
    trash = Signal(object)  # list of paths

    def menu(self, paths: list[str], parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        first = paths[0]
        similar = menu.addAction(FIND_SIMILAR, lambda: self.find_similar.emit(first))
        similar.setEnabled(len(paths) == 1)
        menu.addSeparator()
        menu.addAction(OPEN, lambda: self.open(first))
        menu.addAction(SHOW_IN_FOLDER, lambda: self.show_in_folder(first))
        menu.addAction(COPY_PATH, lambda: self.copy_paths(paths))
        menu.addSeparator()
        trash = menu.addAction(MOVE_TO_TRASH, lambda: self.trash.emit(list(paths)))
        trash.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        return menu

    @staticmethod
    def open(path: str) -> bool:
        return QDesktopServices.openUrl(_file_url(path))

    @staticmethod
    def show_in_folder(path: str) -> bool:
        """Open the folder that holds the photo (file managers select it where they can)."""
        return QDesktopServices.openUrl(_file_url(str(Path(path).parent)))

    @staticmethod
    def copy_paths(paths: list[str]) -> None:
        QGuiApplication.clipboard().setText(os.linesep.join(shown(p) for p in paths))


def _file_url(path: str) -> QUrl:
    """A file URL with the path's exact bytes percent-encoded (QUrl.fromLocalFile would
    drop those of a name that is not UTF-8)."""
    return QUrl.fromEncoded(b"file://" + quote_from_bytes(os.fsencode(path)).encode("ascii"))
