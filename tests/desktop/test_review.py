"""Duplicate review: tiers in words, keeper marked, keyboard keep / trash / next / not a
duplicate, move to trash with undo (also after a restart), differences highlighted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from tests.desktop.conftest import make_window
from twinlens.desktop.duplicates_view import GROUP_ROLE
from twinlens.desktop.main_window import DUPLICATES_TAB, LIBRARY_TAB
from twinlens.engine.library import Library


@pytest.fixture
def review(qtbot, window, system_trash: Path):
    with qtbot.waitSignal(window.session.groups_loaded, timeout=10_000):
        window.show_tab(DUPLICATES_TAB)
    qtbot.waitUntil(lambda: window.duplicates.current_group() is not None)
    window.activateWindow()
    window.duplicates.members.setFocus()
    return window


def press(qtbot, window, key: Qt.Key) -> None:
    """A key press as a person types it: the menu shortcut handles it."""
    qtbot.keyClick(window.duplicates.members, key)


def test_groups_show_tier_meaning_and_keeper_reason(review):
    view = review.duplicates
    group = view.current_group()
    assert group.tier in {"exact", "same_photo"}
    assert "Same photo" in view.tier_label.text() or "Exact copies" in view.tier_label.text()
    assert "resized" in view.tier_label.text() or "identical" in view.tier_label.text()
    assert "Suggested keeper" in view.keeper_label.text()
    assert group.keeper_reason in view.keeper_label.text()
    captions = [view.members_model.data(view.members_model.index(i)) for i in range(3)]
    assert captions[0] == "★ Keeper"
    words = (view.tier_label.text() + view.section_tooltips()).lower()
    for raw in ("hamming", "distance", "bits"):
        assert raw not in words


def test_compare_highlights_differences_and_toggles(qtbot, review):
    view = review.duplicates
    small = next(i for i, e in enumerate(view.members_model.entries()) if "small" in e.path)
    view.members.setCurrentIndex(view.members_model.index(small))
    qtbot.waitUntil(lambda: all(view.details.facts), timeout=5_000)
    qtbot.waitUntil(
        lambda: "small" in (view.details.facts[1].name if view.details.facts[1] else "")
    )
    assert "Resolution" in view.details.differing_rows()
    assert view.details.item(1, 0).font().bold()
    first = view.compare.shown_in_first_pane()
    press(qtbot, review, Qt.Key.Key_T)  # flip mode: one pane
    press(qtbot, review, Qt.Key.Key_T)  # flip to the other photo
    assert view.compare.shown_in_first_pane() != first
    assert view.compare.panes[1].isHidden()


def test_trash_with_delete_key_then_undo(qtbot, review, photos: Path, system_trash: Path):
    view = review.duplicates
    victim = view.selected_member()
    assert victim != view.current_group().keeper
    with qtbot.waitSignal(review.session.trashed, timeout=10_000) as moved:
        press(qtbot, review, Qt.Key.Key_Delete)
    assert moved.args[0] == [victim]
    assert not Path(victim).exists()
    assert any(system_trash.rglob(Path(victim).name))
    qtbot.waitUntil(lambda: review.undo_action.isEnabled(), timeout=5_000)
    qtbot.waitUntil(lambda: review.model.rowCount() == 6, timeout=5_000)
    with qtbot.waitSignal(review.session.restored, timeout=10_000):
        qtbot.keyClick(review.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert Path(victim).exists()
    qtbot.waitUntil(lambda: review.model.rowCount() == 7, timeout=5_000)


def test_undo_survives_a_restart(qtbot, review, scanned: Library, system_trash: Path):
    victim = review.duplicates.selected_member()
    with qtbot.waitSignal(review.session.trashed, timeout=10_000):
        review.trash_action.trigger()
    review.close()
    reopened = make_window(qtbot, Library(scanned.path), rows=6)
    qtbot.waitUntil(lambda: reopened.undo_action.isEnabled(), timeout=5_000)
    with qtbot.waitSignal(reopened.session.restored, timeout=10_000):
        reopened.undo_action.trigger()
    assert Path(victim).exists()


def test_trash_refuses_the_last_copy_in_words(qtbot, review):
    lonely = next(e.path for e in review.model.entries() if "other" in e.path)
    with qtbot.waitSignal(review.session.message, timeout=10_000) as said:
        review.trash([lonely])
    assert "never the last one" in said.args[0] or "keep at least one" in said.args[0]
    assert Path(lonely).exists()


def test_trash_refuses_every_copy_of_a_photo_keep_at_least_one(
    qtbot, window, photos: Path, system_trash: Path
):
    """Selecting every copy of the beach photo in the grid and pressing Delete moves none of
    them: the app says to keep at least one, and the grid still lists all seven photos."""
    from PySide6.QtCore import QItemSelectionModel

    window.show_tab(LIBRARY_TAB)
    grid, model = window.grid, window.model
    beach = {str(photos / n) for n in ("beach.jpg", "beach copy.jpg", "beach-small.jpg")}
    grid.clearSelection()
    for row, entry in enumerate(model.entries()):
        if entry.path in beach:
            grid.selectionModel().select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    assert set(grid.selected_paths()) == beach
    moved: list[list[str]] = []
    window.session.trashed.connect(moved.append)
    grid.setFocus()
    with qtbot.waitSignal(window.session.message, timeout=10_000) as said:
        qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert "keep at least one" in said.args[0]
    assert "nothing was moved" in said.args[0]
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=10_000)
    assert moved == []
    assert all(Path(p).exists() for p in beach)
    assert model.rowCount() == 7


def test_keep_moves_the_other_copies_and_next_group(qtbot, review):
    view = review.duplicates
    group = view.current_group()
    chosen = view.selected_member()
    with qtbot.waitSignal(review.session.trashed, timeout=10_000) as moved:
        press(qtbot, review, Qt.Key.Key_K)
    assert sorted(moved.args[0]) == sorted(p for p in group.paths if p != chosen)
    assert Path(chosen).exists()


def test_not_a_duplicate_is_remembered(qtbot, review, scanned: Library):
    before = len(review.duplicates.groups)
    dismissed = review.duplicates.current_group()
    with qtbot.waitSignal(review.session.groups_loaded, timeout=10_000) as loaded:
        press(qtbot, review, Qt.Key.Key_X)
    assert len(loaded.args[0]) == before - 1
    fresh = Library(scanned.path)
    try:
        assert all(set(g.paths) != set(dismissed.paths) for g in fresh.duplicate_groups())
    finally:
        fresh.close()


@pytest.fixture
def tiered(qtbot, scanned: Library, photos: Path, system_trash: Path):
    """The review over one group of every kind but edited copies: an exact pair (a byte copy
    of other20), the beach photo with its byte copy and resized copy (same photo) and a
    reframed shot of other40 (a similar shot)."""
    shutil.copyfile(photos / "other20.jpg", photos / "other20 (copy).jpg")
    with Image.open(photos / "other40.jpg") as image:
        image.crop((30, 0, 320, 240)).resize((320, 240)).save(photos / "other40 reframed.jpg")
    scanned.run_scan()
    window = make_window(qtbot, scanned, rows=9)
    qtbot.waitUntil(lambda: bool(window.session and window.session.provider), timeout=10_000)
    with qtbot.waitSignal(window.session.groups_loaded, timeout=10_000):
        window.show_tab(DUPLICATES_TAB)
    qtbot.waitUntil(lambda: window.duplicates.current_group() is not None)
    return window


def test_strictness_is_chosen_by_named_tier(tiered):
    view = tiered.duplicates
    names = [view.strictness.itemText(i) for i in range(view.strictness.count())]
    assert names[0] == "Exact copies only"
    assert not any(ch.isdigit() for ch in "".join(names))

    def shown() -> list[tuple[str, list[str]]]:
        groups = [item.data(0, GROUP_ROLE) for item in view._group_items()]
        return sorted((g.tier, sorted(Path(p).name for p in g.paths)) for g in groups)

    exact = ("exact", ["other20 (copy).jpg", "other20.jpg"])
    same = ("same_photo", ["beach copy.jpg", "beach-small.jpg", "beach.jpg"])
    similar = ("similar_shot", ["other40 reframed.jpg", "other40.jpg"])
    assert sorted(g.tier for g in view.groups) == ["exact", "same_photo", "similar_shot"]
    view.strictness.setCurrentIndex(0)
    assert shown() == [exact]
    view.strictness.setCurrentIndex(1)  # each choice shows its tier and the stricter ones
    assert shown() == [exact, same]
    view.strictness.setCurrentIndex(2)
    assert shown() == [exact, same]  # no edited copies here; similar shots are not duplicates
    view.strictness.setCurrentIndex(view.strictness.count() - 1)
    assert shown() == [exact, same, similar]


def test_late_facts_of_a_pair_no_longer_shown_are_ignored(review):
    from twinlens.engine import PhotoFacts

    view = review.duplicates
    _, shown_b = view._comparing
    stale = PhotoFacts(
        "/elsewhere/old.jpg", "old.jpg", "/elsewhere", 1, 9, 9, "", 0, "", "", "indexed", None
    )
    before = view.details.facts[1]
    view.show_facts(1, stale)  # arrives after the person moved to another group
    assert view.details.facts[1] is before
    assert before is None or before.path == shown_b
