"""The side panel: the library's folders (add, remove, rescan, "keep always") and the photos
that failed.

A ticked folder is a reference folder (issue 12): its photos are never proposed for removal
and win the keeper choice. Each failed photo is listed with its reason in words, so a person
knows whether to re-copy it, convert it, or leave it.
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
    reference_toggled = Signal(object, bool)  # Path, whether its photos are always kept
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
        hint = QLabel("Tick a folder to keep its photos always (a reference folder).")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.folders, 1)
        self.folders.itemChanged.connect(self._on_item_changed)
        self._references: set[Path] = set()
        self._roots: list[Path] = []
        self._filling = False
        layout.addLayout(buttons)
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed, 2)
        self.failed.itemActivated.connect(
            lambda item: self.photo_activated.emit(item.data(PATH_ROLE).path)
        )

    def set_folders(self, folders: list[Path]) -> None:
        """The library's folders, plus any reference folder inside one of them."""
        self._roots = list(folders)
        self._render()

    def set_references(self, references: list[Path]) -> None:
        self._references = set(references)
        self._render()

    def _render(self) -> None:
        self._filling = True
        self.folders.clear()
        inner = sorted(r for r in self._references if r not in self._roots)
        for folder in [*self._roots, *inner]:
            item = QListWidgetItem(shown(folder.name or str(folder)))
            item.setData(PATH_ROLE, folder)  # a Path object survives Qt; a str may not
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.folders.addItem(item)
            self._show_reference(item)
        self._filling = False
        self.remove_button.setEnabled(bool(self._roots))

    def reference_folders(self) -> list[Path]:
        """The ticked folders (tests, and what the person sees)."""
        items = (self.folders.item(i) for i in range(self.folders.count()))
        return [i.data(PATH_ROLE) for i in items if i.checkState() == Qt.CheckState.Checked]

    def _show_reference(self, item: QListWidgetItem) -> None:
        folder: Path = item.data(PATH_ROLE)
        on = folder in self._references
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        keep = "\nKeep always: its photos are never proposed for removal." if on else ""
        item.setToolTip(shown(folder) + keep)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        on = item.checkState() == Qt.CheckState.Checked
        folder: Path = item.data(PATH_ROLE)
        if on != (folder in self._references):
            self.reference_toggled.emit(folder, on)

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
        if item is not None and item.data(PATH_ROLE) in self._roots:  # not a sub-folder
            self.remove_requested.emit(item.data(PATH_ROLE))
