"""The thumbnail grid: an icon-mode list view with zoom and a context menu on every tile.

Uniform item sizes keep layout cheap, so a 100,000 photo library scrolls without stalls; the
tiles themselves are painted from QPixmapCache by the model.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QWidget

from .library_model import ENTRY_ROLE
from .photo_actions import PhotoActions

MIN_TILE, MAX_TILE, DEFAULT_TILE = 96, 384, 160


class PhotoGrid(QListView):
    """Tiles of photos; double-click opens, right-click offers the photo actions."""

    opened = Signal(object)  # path

    def __init__(self, actions: PhotoActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photo_actions = actions  # not `actions`: that is QWidget.actions()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setAcceptDrops(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.doubleClicked.connect(lambda index: self.opened.emit(_path(index)))
        self.set_tile_size(DEFAULT_TILE)

    def set_tile_size(self, size: int) -> None:
        """Zoom: the thumbnail's longest side in device-independent pixels."""
        size = max(MIN_TILE, min(MAX_TILE, size))
        self.setIconSize(QSize(size, size))
        self.setGridSize(QSize(size + 16, size + 16 + self.fontMetrics().height()))
        self.verticalScrollBar().setSingleStep(max(8, size // 4))
        model = self.model()
        if model is not None and hasattr(model, "set_tile_size"):
            ratio = self.devicePixelRatioF()
            model.set_tile_size(int(size * ratio), ratio)

    def selected_paths(self) -> list[str]:
        rows = sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [_path(i) for i in rows]

    def menu_at(self, pos: QPoint) -> QMenu | None:
        """The context menu for the tile under ``pos`` (with the selection, if it is in it)."""
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        path = _path(index)
        selected = self.selected_paths()
        paths = selected if path in selected else [path]
        return self.photo_actions.menu(paths, self)

    def _show_menu(self, pos: QPoint) -> None:
        menu = self.menu_at(pos)
        if menu is not None:
            menu.exec(self.viewport().mapToGlobal(pos))
            menu.deleteLater()


def _path(index: QModelIndex) -> str:
    """The tile's path, exact: read from its entry, never through a Qt string (issue 10)."""
    return str(index.data(ENTRY_ROLE).path)
