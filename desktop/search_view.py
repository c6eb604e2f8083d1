"""Search by example: the answer to "is this photo already in my library?" above ranked results.

A person drops an image (file or data) anywhere on the window, or pastes one; the window
hands it to the session and this view shows the answer. Near-identical copies come collapsed
into one tile whose caption says how many copies there are.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from twinlens.engine import PhotoEntry, SearchAnswer

from .grid_view import PhotoGrid
from .library_model import PhotoListModel
from .messages import in_library_text, name_html, similarity_text
from .photo_actions import PhotoActions
from .thumbnail_provider import ThumbnailProvider

HINT = (
    "Drop a photo here from your file manager, a browser or another app,"
    " or paste one (Ctrl+V), to find it in your library."
)


class SearchView(QWidget):
    paste_requested = Signal()

    def __init__(
        self, thumbnails: ThumbnailProvider, actions: PhotoActions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.answer_label = QLabel(HINT)
        self.answer_label.setWordWrap(True)
        self.answer_label.setTextFormat(Qt.TextFormat.RichText)
        self.query_label = QLabel()
        paste = QPushButton("Paste image")
        paste.clicked.connect(self.paste_requested)
        self.model = PhotoListModel(thumbnails, self)
        self.grid = PhotoGrid(actions)
        self.grid.setModel(self.model)
        self.grid.set_tile_size(self.grid.iconSize().width())
        top = QHBoxLayout()
        top.addWidget(self.answer_label, 1)
        top.addWidget(paste)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.query_label)
        layout.addWidget(self.grid, 1)
        self.answer: SearchAnswer | None = None

    def searching(self, what: str) -> None:
        self.answer_label.setText(f"<b>Searching your library for {what}…</b>")
        self.model.set_entries([])

    def show_answer(self, answer: SearchAnswer) -> None:
        self.answer = answer
        closest = name_html(answer.closest) if answer.closest else None
        shown = "" if answer.query == "pasted image" else name_html(answer.query)
        if answer.closest == answer.query:  # "Find similar" on a library photo
            self.answer_label.setText(f"<h2>Photos like {shown}</h2>")
        else:
            self.answer_label.setText(f"<h2>{in_library_text(answer.in_library, closest)}</h2>")
        self.query_label.setText(
            f"Closest photos to {shown or 'the dropped image'}, most alike first:"
            if answer.results
            else "Your library has no indexed photos to compare with yet."
        )
        entries, captions = [], {}
        for result in answer.results:
            entries.append(_entry(result.path))
            caption = similarity_text(result.tier)
            if result.copies:
                caption += f" · {len(result.copies) + 1} copies"
            captions[result.path] = caption
        self.model.set_entries(entries, captions)

    def result_paths(self) -> list[str]:
        return [e.path for e in self.model.entries()]


def _entry(path: str) -> PhotoEntry:
    """A grid entry for a result (the grid only needs its path; facts come on demand)."""
    return PhotoEntry(0, path, 0, 0, None, "indexed", None, None, "", 0, 0)
