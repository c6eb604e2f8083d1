"""Review at library scale in the app (issue 12): select all but the keeper with one
confirmation and one undo, reference folders in the folder panel, the keeper rule's
settings, export, and a live grid that changes row by row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.conftest import make_photo
from tests.desktop.conftest import make_window
from twinlens.desktop.keeper_settings import KeeperSettingsDialog
from twinlens.desktop.main_window import DUPLICATES_TAB
from twinlens.desktop.review_actions import confirmation_text
from twinlens.engine import LibraryChange, PhotoEntry, sort_key
from twinlens.engine.library import Library


@pytest.fixture
def review(qtbot, window, system_trash: Path):
    with qtbot.waitSignal(window.session.groups_loaded, timeout=10_000):
        window.show_tab(DUPLICATES_TAB)
    qtbot.waitUntil(lambda: window.duplicates.current_group() is not None)
    return window


def test_select_all_but_the_keeper_confirms_then_is_one_undo_step(qtbot, review, photos: Path):
    view = review.duplicates
    [group] = [g for g in view.groups if g.proposed_for_removal()]
    assert group.keeper == str(photos / "beach.jpg")
    size = sum((photos / n).stat().st_size for n in ("beach copy.jpg", "beach-small.jpg"))
    review.review.answer_for_tests = "trash"
    with qtbot.waitSignal(review.session.batch_done, timeout=10_000) as done:
        view.select_all_but_keeper()
    question = review.review.last_question
    assert question.startswith(f"Remove 2 files ({size / 1e6:,.1f} MB) from 1 group?")
    batch = done.args[0]
    assert sorted(Path(p).name for p in batch.receipt.moved) == [
        "beach copy.jpg",
        "beach-small.jpg",
    ]
    assert (photos / "beach.jpg").exists()
    qtbot.waitUntil(lambda: review.undo_action.isEnabled(), timeout=5_000)
    with qtbot.waitSignal(review.session.restored, timeout=10_000) as restored:
        review.undo_action.trigger()
    assert len(restored.args[0]) == 2  # one step for every group
    assert (photos / "beach copy.jpg").exists()
    assert (photos / "beach-small.jpg").exists()


def test_one_tier_only_and_cancel_moves_nothing(qtbot, review, photos: Path):
    view = review.duplicates
    review.review.answer_for_tests = "cancel"
    view.select_all_but_keeper("exact")  # no exact-only group here: nothing is asked
    assert review.review.last_question == ""
    view.select_all_but_keeper("same_photo")
    qtbot.waitUntil(lambda: bool(review.review.last_question), timeout=10_000)
    assert review.review.last_question.startswith("Remove 2 files (")
    assert "from 1 group?" in review.review.last_question
    assert (photos / "beach copy.jpg").exists()
    assert (photos / "beach-small.jpg").exists()


def test_move_to_a_folder_instead_of_the_trash(qtbot, review, photos: Path, tmp_path: Path):
    aside = tmp_path / "aside"
    review.review.answer_for_tests = f"folder:{aside}"
    with qtbot.waitSignal(review.session.batch_done, timeout=10_000):
        review.duplicates.select_all_but_keeper()
    moved = sorted(p.relative_to(aside) for p in aside.rglob("*.jpg"))
    assert moved == [Path("photos/beach copy.jpg"), Path("photos/beach-small.jpg")]


def test_the_confirmation_counts_files_megabytes_and_groups() -> None:
    text = confirmation_text(1234, 5_600_000_000, 987)
    assert text.startswith("Remove 1,234 files (5,600.0 MB) from 987 groups?")
    assert "never removes the last copy" in text
    assert "One Undo (Ctrl+Z)" in text


def test_a_ticked_folder_is_a_reference_folder(qtbot, window, scanned: Library, photos: Path):
    side = window.side
    item = side.folders.item(0)
    with qtbot.waitSignal(window.session.references_changed, timeout=10_000):
        item.setCheckState(Qt.CheckState.Checked)
    assert scanned.references() == [photos]
    qtbot.waitUntil(lambda: side.reference_folders() == [photos], timeout=5_000)
    assert "Keep always" in side.folders.item(0).toolTip()
    groups = scanned.duplicate_groups()
    assert all(g.proposed_for_removal() == [] for g in groups)
    with qtbot.waitSignal(window.session.references_changed, timeout=10_000):
        side.folders.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert scanned.references() == []


def test_keeper_rule_dialog_orders_and_switches_off(qtbot) -> None:
    dialog = KeeperSettingsDialog(("pixels", "name"), True)
    qtbot.addWidget(dialog)
    assert dialog.order() == ["pixels", "name"]
    assert dialog.raw_jpeg.isChecked()
    dialog.criteria.setCurrentRow(1)
    dialog._move(-1)
    assert dialog.order() == ["name", "pixels"]
    dialog.criteria.item(2).setCheckState(Qt.CheckState.Checked)  # the first one left off
    assert dialog.order() == ["name", "pixels", "reference"]
    dialog.restore_default()
    assert dialog.order() == ["reference", "pixels", "quality", "metadata", "name", "oldest"]


def test_saving_the_keeper_rule_is_remembered_in_the_library(qtbot, window, scanned: Library):
    with qtbot.waitSignal(window.session.keeper_settings, timeout=10_000) as got:
        window.session.save_keeper_settings(["oldest", "pixels"], True)
    assert got.args == [("oldest", "pixels"), True]
    assert scanned.keeper_order() == ("oldest", "pixels")
    assert scanned.raw_jpeg_removable()
    assert window.keeper_choice == (("oldest", "pixels"), True)


def test_export_from_the_app(qtbot, review, tmp_path: Path):
    target = tmp_path / "groups.csv"
    with qtbot.waitSignal(review.session.message, timeout=10_000) as said:
        review.review.export(review.duplicates.visible_groups(), target)
    assert said.args[0].startswith("Exported ")
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {r["keeper"] for r in rows} == {"yes", "no"}
    assert any(r["path"].endswith("beach-small.jpg") and r["width"] == "240" for r in rows)


def _entry(path: str, size: int = 1, mtime: int = 0) -> PhotoEntry:
    return PhotoEntry(0, path, size, mtime, "h", "indexed", None, None, "", 10, 10)


def test_model_changes_row_by_row_never_resetting(qtbot) -> None:
    from twinlens.desktop.library_model import PhotoListModel
    from twinlens.desktop.thumbnail_provider import ThumbnailProvider

    model = PhotoListModel(ThumbnailProvider())
    key = sort_key("name")
    model.set_entries([_entry(f"/p/{n}.jpg") for n in ("a", "c", "e")])
    events: list[str] = []
    model.modelReset.connect(lambda: events.append("reset"))
    model.rowsInserted.connect(lambda _p, first, last: events.append(f"insert {first}"))
    model.rowsRemoved.connect(lambda _p, first, last: events.append(f"remove {first}"))
    model.dataChanged.connect(lambda a, b, *_: events.append(f"changed {a.row()}"))
    model.apply_changes(
        {"/p/d.jpg": _entry("/p/d.jpg"), "/p/c.jpg": _entry("/p/c.jpg", size=5)},
        ["/p/a.jpg"],
        key,
    )
    assert [e.name for e in model.entries()] == ["c.jpg", "d.jpg", "e.jpg"]
    assert events == ["changed 1", "remove 0", "insert 1"]
    assert model.row_of("/p/e.jpg") == 2
    model.apply_changes({"/p/b.jpg": _entry("/p/b.jpg")}, [], key)
    assert model.row_of("/p/e.jpg") == 3
    size_key = sort_key("size")
    model.set_entries([_entry("/p/x.jpg", 9), _entry("/p/y.jpg", 5)])
    model.apply_changes({"/p/y.jpg": _entry("/p/y.jpg", 20)}, [], size_key)  # moves up
    assert [e.name for e in model.entries()] == ["y.jpg", "x.jpg"]


def test_the_watcher_changes_the_grid_without_listing_it_again(
    qtbot, scanned: Library, photos: Path
):
    window = make_window(qtbot, scanned, rows=7)
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    make_photo(photos / "arrived.jpg", 88)
    scanned.run_scan()
    (photos / "other20.jpg").unlink()
    scanned.run_scan()
    change = LibraryChange(
        indexed=[str(photos / "arrived.jpg")], removed=[str(photos / "other20.jpg")]
    )
    with qtbot.waitSignal(window.session.rows_changed, timeout=10_000):
        window.session._on_library_change(change)
    names = [e.name for e in window.model.entries()]
    assert "arrived.jpg" in names
    assert "other20.jpg" not in names
    assert window.model.rowCount() == 7
    assert resets == []
