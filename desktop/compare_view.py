"""Two photos side by side with zoom and pan kept in step, and a quick toggle between them.

Flip mode shows one photo at a time in the same place and size, so pressing the toggle
blinks between the two: the fastest way for a person to see a crop or a retouch.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from .thumbnail_provider import ThumbnailProvider

PREVIEW_SIZE = 2048


class ImagePane(QGraphicsView):
    """One photo; wheel zooms (around the cursor), drag pans."""

    zoomed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAcceptDrops(False)

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        self.item.setPixmap(pixmap or QPixmap())
        self.scene().setSceneRect(self.item.boundingRect())

    def fit(self) -> None:
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.scale(factor, factor)
        self.zoomed.emit(factor)


class CompareView(QWidget):
    """Photo A (usually the keeper) and photo B, in step."""

    def __init__(self, thumbnails: ThumbnailProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.panes = (ImagePane(), ImagePane())
        self.labels = (QLabel(), QLabel())
        self.paths: list[str | None] = [None, None]
        self.flip_mode = False
        self.flipped = False
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for pane, label in zip(self.panes, self.labels, strict=True):
            column = QVBoxLayout()
            column.addWidget(label)
            column.addWidget(pane, 1)
            row.addLayout(column, 1)
        self._sync(*self.panes)
        self._sync(*reversed(self.panes))
        thumbnails.ready.connect(self._on_ready)

    def _sync(self, source: ImagePane, target: ImagePane) -> None:
        source.zoomed.connect(lambda f: target.scale(f, f))
        source.horizontalScrollBar().valueChanged.connect(target.horizontalScrollBar().setValue)
        source.verticalScrollBar().valueChanged.connect(target.verticalScrollBar().setValue)

    def set_photos(self, a: str | None, b: str | None, captions: tuple[str, str]) -> None:
        self.paths = [a, b]
        self.captions = captions
        self.flipped = False
        self._show()
        for pane in self.panes:
            pane.resetTransform()
            pane.fit()

    def toggle(self) -> None:
        """Flip mode: show the other photo in place. Side by side: enter flip mode."""
        if not self.flip_mode:
            self.flip_mode = True
            self.panes[1].hide()
            self.labels[1].hide()
        else:
            self.flipped = not self.flipped
        self._show()

    def side_by_side(self) -> None:
        self.flip_mode = False
        self.flipped = False
        self.panes[1].show()
        self.labels[1].show()
        self._show()

    def shown_in_first_pane(self) -> str | None:
        return self.paths[1 if self.flipped else 0]

    def _show(self) -> None:
        order = (1, 0) if self.flipped else (0, 1)
        for pane, label, which in zip(self.panes, self.labels, order, strict=True):
            path = self.paths[which]
            pane.set_pixmap(self.thumbnails.pixmap(path, PREVIEW_SIZE) if path else None)
            label.setText(self.captions[which] if path else "")

    def _on_ready(self, path: str) -> None:
        if path in self.paths:
            self._show()
            for pane in self.panes:
                if pane.transform().isIdentity():
                    pane.fit()
