"""The side panel: the library's folders (add, remove, rescan) and the photos that failed.

Each failed photo is listed with its reason in words, so a person knows whether to re-copy
it, convert it, or leave it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinlens.engine import PhotoEntry, shown

from .messages import reason_text

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class SidePanel(QWidget):
    add_requested = Signal()
    remove_requested = Signal(object)  # Path
    rescan_requested = Signal()
    photo_activated = Signal(object)  # path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folders = QListWidget()
        self.failed = QListWidget()
        self.failed.setWordWrap(True)
        self.failed_title = QLabel("<b>Could not be read</b>")
        add = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        rescan = QPushButton("Rescan")
        add.clicked.connect(self.add_requested)
        rescan.clicked.connect(self.rescan_requested)
        self.remove_button.clicked.connect(self._remove_selected)
        self.remove_button.setToolTip("Stop tracking this folder. No file is touched.")
        buttons = QHBoxLayout()
        for button in (add, self.remove_button, rescan):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Folders</b>"))
        layout.addWidget(self.folders, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed, 2)
        self.failed.itemActivated.connect(
            lambda item: self.photo_activated.emit(item.data(PATH_ROLE).path)
        )

    def set_folders(self, folders: list[Path]) -> None:
        self.folders.clear()
        for folder in folders:
            item = QListWidgetItem(shown(folder.name or str(folder)))
            item.setToolTip(shown(folder))
            item.setData(PATH_ROLE, folder)  # a Path object survives Qt; a str may not
            self.folders.addItem(item)
        self.remove_button.setEnabled(bool(folders))

    def set_failed(self, entries: list[PhotoEntry]) -> None:
        self.failed.clear()
        self.failed_title.setText(f"<b>Could not be read ({len(entries)})</b>")
        for entry in entries:
            item = QListWidgetItem(f"{shown(entry.name)}\n{reason_text(entry.reason)}")
            item.setToolTip(f"{shown(entry.path)}\n{entry.detail or ''}".strip())
            item.setData(PATH_ROLE, entry)
            self.failed.addItem(item)

    def failed_texts(self) -> list[str]:
        return [self.failed.item(i).text() for i in range(self.failed.count())]

    def _remove_selected(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(PATH_ROLE))
