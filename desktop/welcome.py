"""The first-run page: add photo folders (a dialog or a drop), or open the sample library."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    add_folder_requested = Signal()
    samples_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h1>Welcome to Twinlens</h1>")
        text = QLabel(
            "Twinlens finds duplicate, near-duplicate and similar photos in your library,"
            " and finds any photo by example.<br>It never deletes a photo: extra copies go to"
            " the trash, and you can undo.<br><br>"
            "<b>Drop a photo folder here</b>, or choose one to start."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add a photo folder…")
        self.add_button.setDefault(True)
        self.samples_button = QPushButton("Open the sample library")
        self.add_button.clicked.connect(self.add_folder_requested)
        self.samples_button.clicked.connect(self.samples_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (title, text, self.add_button, self.samples_button):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setMaximumWidth(560)
