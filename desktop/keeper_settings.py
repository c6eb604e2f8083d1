"""The keeper rule's settings: which criteria decide the suggested keeper, in which order,
and whether the JPEG of a RAW + JPEG pair may be removed (library settings: the CLI's
``dupes --prefer`` and ``settings`` change the same values)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twinlens.engine import CRITERIA_WORDS, DEFAULT_ORDER

NAMES = {
    "reference": "Reference folders first",
    "pixels": "Most pixels",
    "quality": "Least lossy (RAW, lossless, JPEG quality; conversions last)",
    "metadata": "Original camera metadata (make, model, capture time)",
    "name": "A name without copy markers, then the shorter path",
    "oldest": "Oldest capture time, then the oldest file",
}
KEY_ROLE = Qt.ItemDataRole.UserRole + 1


class KeeperSettingsDialog(QDialog):
    """Tick and order the criteria; the first that differs between two copies decides."""

    def __init__(
        self, order: tuple[str, ...], raw_jpeg_removable: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keeper Rule")
        intro = QLabel(
            "Twinlens suggests keeping the copy most likely to be the original. The first"
            " ticked criterion on which two copies differ decides; drag or use the arrows to"
            " reorder. Photos in reference folders are never proposed for removal, whatever"
            " the order."
        )
        intro.setWordWrap(True)
        self.criteria = QListWidget()
        self.criteria.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        for key in [*order, *(k for k in DEFAULT_ORDER if k not in order)]:
            item = QListWidgetItem(NAMES[key])
            item.setToolTip(CRITERIA_WORDS[key])
            item.setData(KEY_ROLE, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in order else Qt.CheckState.Unchecked)
            self.criteria.addItem(item)
        self.criteria.setCurrentRow(0)
        up, down, default = QPushButton("Up"), QPushButton("Down"), QPushButton("Default")
        up.clicked.connect(lambda: self._move(-1))
        down.clicked.connect(lambda: self._move(1))
        default.clicked.connect(self.restore_default)
        arrows = QHBoxLayout()
        for button in (up, down, default):
            arrows.addWidget(button)
        arrows.addStretch(1)
        self.raw_jpeg = QCheckBox("RAW + JPEG pairs: the JPEG may be removed as a duplicate")
        self.raw_jpeg.setToolTip(
            "Off: a camera's RAW and JPEG of one shot are both kept. On: the JPEG counts as a"
            " removable copy; the RAW is always kept."
        )
        self.raw_jpeg.setChecked(raw_jpeg_removable)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.criteria)
        layout.addLayout(arrows)
        layout.addWidget(self.raw_jpeg)
        layout.addWidget(buttons)
        self.criteria.setMinimumHeight(6 * self.fontMetrics().height() + 24)
        self.resize(540, 340)

    def order(self) -> list[str]:
        """The ticked criteria, top to bottom."""
        items = (self.criteria.item(i) for i in range(self.criteria.count()))
        return [i.data(KEY_ROLE) for i in items if i.checkState() == Qt.CheckState.Checked]

    def restore_default(self) -> None:
        self.criteria.clear()
        for key in DEFAULT_ORDER:
            item = QListWidgetItem(NAMES[key])
            item.setData(KEY_ROLE, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.criteria.addItem(item)

    def _move(self, step: int) -> None:
        row = self.criteria.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.criteria.count():
            return
        item = self.criteria.takeItem(row)
        self.criteria.insertItem(target, item)
        self.criteria.setCurrentRow(target)
