"""'Find similar' from the context menu of a thumbnail, in the library grid and the results."""

from __future__ import annotations

from pathlib import Path

from twinlens.desktop.main_window import SEARCH_TAB
from twinlens.desktop.photo_actions import (
    COPY_PATH,
    FIND_SIMILAR,
    MOVE_TO_TRASH,
    OPEN,
    SHOW_IN_FOLDER,
)


def menu_for(grid, row: int):
    rect = grid.visualRect(grid.model().index(row, 0))
    return grid.menu_at(rect.center())


def trigger(menu, text: str) -> None:
    next(a for a in menu.actions() if a.text() == text).trigger()


def test_context_menu_find_similar_lists_the_copies(qtbot, window):
    row = next(i for i, e in enumerate(window.model.entries()) if e.name == "beach.jpg")
    window.grid.scrollTo(window.model.index(row))
    menu = menu_for(window.grid, row)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == [FIND_SIMILAR, OPEN, SHOW_IN_FOLDER, COPY_PATH, MOVE_TO_TRASH]
    with qtbot.waitSignal(window.session.search_done, timeout=10_000):
        trigger(menu, FIND_SIMILAR)
    assert window.tabs.currentIndex() == SEARCH_TAB
    results = [Path(p).name for p in window.search.result_paths()]
    first = window.search.answer.results[0]
    assert {Path(first.path).name, *(Path(c).name for c in first.copies)} == {
        "beach copy.jpg",
        "beach-small.jpg",
    }
    assert "beach.jpg" not in results  # the photo itself is the query, not a result


def test_find_similar_works_from_the_results_grid_too(qtbot, window):
    first = window.model.entries()[0].path
    with qtbot.waitSignal(window.session.search_done, timeout=10_000):
        window.find_similar(first)
    qtbot.waitUntil(lambda: window.search.model.rowCount() > 0)
    clicked = window.search.model.entries()[0].path
    menu = menu_for(window.search.grid, 0)
    with qtbot.waitSignal(window.session.search_done, timeout=10_000) as signal:
        trigger(menu, FIND_SIMILAR)
    assert signal.args[0].query == clicked


def test_copy_path_puts_the_path_on_the_clipboard(qtbot, window):
    from PySide6.QtGui import QGuiApplication

    trigger(menu_for(window.grid, 0), COPY_PATH)
    assert QGuiApplication.clipboard().text() == window.model.entries()[0].path
