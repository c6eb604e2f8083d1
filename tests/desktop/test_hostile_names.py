"""Hostile file names in the app (issue 10): a Qt string drops the bytes of a name that is not
UTF-8, so a path must never travel through one. Names are shown escaped, rich text is never
fooled by a name, and review moves exactly the file on disk."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.conftest import make_photo
from tests.desktop.conftest import make_window
from twinlens.desktop.library_model import ENTRY_ROLE
from twinlens.desktop.main_window import DUPLICATES_TAB
from twinlens.engine.library import Library

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="names that Linux allows")

ODD = b"caf\xe9 \x1b[2J<b>bold.jpg"


@pytest.fixture
def odd_library(tmp_path: Path, tiny_model: Path, library: Library) -> tuple[Library, str]:
    folder = tmp_path / "odd"
    folder.mkdir()
    make_photo(folder / "plain.jpg", seed=3, size=(480, 360))
    odd = os.fsdecode(os.fsencode(folder) + b"/" + ODD)
    shutil.copyfile(folder / "plain.jpg", odd)
    make_photo(folder / "caf \x1b[2J<b>bold.jpg", seed=4)  # what a lossy path would turn into
    library.add_roots([folder])
    library.run_scan()
    return library, odd


def test_grid_shows_the_name_escaped_and_keeps_the_exact_path(qtbot, odd_library) -> None:
    library, odd = odd_library
    window = make_window(qtbot, library, rows=3)
    model = window.model
    row = next(i for i in range(3) if model.index(i).data(ENTRY_ROLE).path == odd)
    shown = model.index(row).data(Qt.ItemDataRole.DisplayRole)
    assert shown == "caf\\xe9 \\x1b[2J<b>bold.jpg"
    assert "\\xe9" in model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    qtbot.waitUntil(
        lambda: window.thumbnails.pixmap(odd, model.tile_size) is not None, timeout=10_000
    )


def test_review_moves_exactly_the_odd_file(qtbot, odd_library, system_trash: Path) -> None:
    library, odd = odd_library
    window = make_window(qtbot, library, rows=3)
    with qtbot.waitSignal(window.session.groups_loaded, timeout=10_000):
        window.show_tab(DUPLICATES_TAB)
    view = window.duplicates
    qtbot.waitUntil(lambda: view.current_group() is not None)
    assert "&lt;b&gt;" in view.keeper_label.text() or "plain.jpg" in view.keeper_label.text()
    members = [view.members_model.index(i).data(ENTRY_ROLE).path for i in range(2)]
    view.members.setCurrentIndex(view.members_model.index(members.index(odd)))
    window.activateWindow()
    view.members.setFocus()
    with qtbot.waitSignal(window.session.trashed, timeout=10_000) as moved:
        qtbot.keyClick(view.members, Qt.Key.Key_Delete)
    assert moved.args[0] == [odd]
    assert not os.path.lexists(odd)
    assert (Path(odd).parent / "plain.jpg").exists()
    assert (Path(odd).parent / "caf \x1b[2J<b>bold.jpg").exists()
