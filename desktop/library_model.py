"""A Qt list model over the engine's photo entries: the grid's data, nothing else.

Rows are plain ``PhotoEntry`` values listed by the engine on a worker; this adapter only maps
them to roles, asks the thumbnail provider for pixels, and repaints a tile when they arrive.
The watcher's changes arrive row by row (``apply_changes``: insert, remove, dataChanged in
the listing's order), so a change in a 100,000-photo library never re-lists it (issue 12).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from twinlens.engine import PhotoEntry, shown

from .messages import reason_text, size_text
from .thumbnail_provider import ThumbnailProvider

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
"""The path as a Qt string: for display and tests only; exact paths come from ENTRY_ROLE."""
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
CAPTION_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


class PhotoListModel(QAbstractListModel):
    """Photos as grid tiles: name, thumbnail, tooltip with the failure reason in words."""

    def __init__(self, thumbnails: ThumbnailProvider, parent: Any = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.tile_size = 160
        self.device_ratio = 1.0
        self._entries: list[PhotoEntry] = []
        self._captions: dict[str, str] = {}
        self._rows: dict[str, int] = {}
        self._count = 0
        self._loading = QPixmap()
        thumbnails.ready.connect(self._on_thumbnail)
        thumbnails.failed.connect(self._on_thumbnail)

    # -- content --------------------------------------------------------

    def set_entries(
        self, entries: Sequence[PhotoEntry], captions: dict[str, str] | None = None
    ) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self._captions = dict(captions or {})
        self._rows = {e.path: i for i, e in enumerate(self._entries)}
        self._count = len(self._entries)
        self.endResetModel()

    def apply_changes(
        self,
        entries: Mapping[str, PhotoEntry],
        removed: Iterable[str],
        key: Callable[[PhotoEntry], Any],
    ) -> None:
        """Update rows in place: ``entries`` are new or changed files, ``removed`` gone ones;
        rows stay in ``key`` order (the listing's sort: engine ``sort_key``)."""
        gone = set(removed)
        for path, entry in entries.items():
            row = self._rows.get(path)
            if row is not None and key(self._entries[row]) == key(entry):
                self._entries[row] = entry  # same place: repaint the tile
                index = self.index(row)
                self.dataChanged.emit(index, index)
            elif row is not None:
                gone.add(path)  # its place changed (a new date or size): take it out first
        for row in sorted((self._rows[p] for p in gone if p in self._rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._entries[row]
            self._count -= 1
            self.endRemoveRows()
        if gone:
            self._reindex()
        new = [entry for path, entry in entries.items() if path not in self._rows]
        for entry in new:
            row = bisect.bisect_left(self._entries, key(entry), key=key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._entries.insert(row, entry)
            self._count += 1
            self.endInsertRows()
        if new:
            self._reindex()

    def _reindex(self) -> None:
        """Path -> row again after rows moved: once per batch of changes, not per row."""
        self._rows = {e.path: i for i, e in enumerate(self._entries)}

    def entries(self) -> list[PhotoEntry]:
        return list(self._entries)

    def entry(self, row: int) -> PhotoEntry:
        return self._entries[row]

    def row_of(self, path: str) -> int | None:
        return self._rows.get(path)

    def set_tile_size(self, size: int, device_ratio: float = 1.0) -> None:
        """Tile size in device pixels (thumbnail size times the screen's scale)."""
        self.tile_size = size
        self.device_ratio = device_ratio
        if self._entries:
            self.dataChanged.emit(self.index(0), self.index(len(self._entries) - 1))

    # -- Qt model API ----------------------------------------------------------------------------

    def rowCount(self, parent: Index | None = None) -> int:
        # Called twice per row while a view lays out 100,000 tiles: kept to the bare minimum.
        return self._count if parent is None or not parent.isValid() else 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._captions.get(entry.path, shown(entry.name))
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry)
        if role == PATH_ROLE:
            return entry.path
        if role == ENTRY_ROLE:
            return entry
        if role == CAPTION_ROLE:
            return self._captions.get(entry.path, "")
        return None

    def _icon(self, entry: PhotoEntry) -> QIcon | QPixmap:
        if entry.failed or self.thumbnails.broken_reason(entry.path):
            style = QApplication.style()
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        pixmap = self.thumbnails.pixmap(entry.path, self.tile_size, entry.hash, square=True)
        if pixmap is None:
            return self._placeholder()
        pixmap.setDevicePixelRatio(self.device_ratio)  # painted as is: no scaling per frame
        return pixmap

    def _placeholder(self) -> QPixmap:
        """A blank tile of the full size while the thumbnail loads: the view sizes every tile
        like the first one it measures, so the first must never be a small empty icon."""
        if self._loading.size().width() != self.tile_size:
            self._loading = QPixmap(self.tile_size, self.tile_size)
            self._loading.fill(QColor(128, 128, 128, 40))
            self._loading.setDevicePixelRatio(self.device_ratio)
        return self._loading

    def _tooltip(self, entry: PhotoEntry) -> str:
        lines = [shown(entry.path), size_text(entry.size)]
        if entry.width:
            lines.append(f"{entry.width} × {entry.height} pixels")
        reason = entry.reason if entry.failed else self.thumbnails.broken_reason(entry.path)
        if reason:
            lines.append(reason_text(reason))
        return "\n".join(lines)

    @Slot(object)
    def _on_thumbnail(self, path: str, *_: object) -> None:
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
