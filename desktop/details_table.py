"""Facts of two copies side by side (size, resolution, date, folder, camera), differences bold.

The differences are what decide which copy to keep, so they are highlighted, not left for a
person to spot.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from twinlens.engine import PhotoFacts, shown

from .messages import size_text

ROWS = ("Size", "Resolution", "Date taken", "Modified", "Folder", "Camera", "Format")


def fact_texts(facts: PhotoFacts | None) -> list[str]:
    if facts is None:
        return ["—"] * len(ROWS)
    modified = datetime.fromtimestamp(facts.modified_ns / 1e9, tz=UTC).astimezone()
    return [
        size_text(facts.size),
        f"{facts.width} × {facts.height}" if facts.width else "unknown",
        facts.taken_at or "not recorded",
        modified.strftime("%Y-%m-%d %H:%M"),
        shown(facts.folder),
        facts.camera or "not recorded",
        facts.format or "unknown",
    ]


class DetailsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(len(ROWS), 2, parent)
        self.setVerticalHeaderLabels(list(ROWS))
        self.setHorizontalHeaderLabels(["A", "B"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.facts: list[PhotoFacts | None] = [None, None]
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rows = self.verticalHeader().defaultSectionSize() * len(ROWS)
        self.setFixedHeight(rows + self.horizontalHeader().sizeHint().height() + 4)

    def set_facts(self, column: int, facts: PhotoFacts | None, title: str) -> None:
        self.facts[column] = facts
        self.setHorizontalHeaderItem(column, QTableWidgetItem(title))
        self._fill()

    def differing_rows(self) -> list[str]:
        a, b = (fact_texts(f) for f in self.facts)
        return [name for name, x, y in zip(ROWS, a, b, strict=True) if x != y]

    def _fill(self) -> None:
        columns = [fact_texts(f) for f in self.facts]
        differ = set(self.differing_rows()) if all(self.facts) else set()
        highlight = QBrush(self.palette().color(QPalette.ColorRole.Highlight).lighter(170))
        for row, name in enumerate(ROWS):
            for column in range(2):
                item = QTableWidgetItem(columns[column][row])
                item.setToolTip(columns[column][row])
                if name in differ:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(highlight)
                    item.setForeground(QBrush(QColor("black")))
                self.setItem(row, column, item)
