"""Safe removal: system trash with undo across restarts, never the last copy, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo
from twinlens.engine.errors import NothingToUndo, TrashRefused
from twinlens.engine.library import Library

pytestmark = pytest.mark.skipif(
    __import__("sys").platform in ("win32", "darwin"), reason="freedesktop trash layout"
)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Two duplicate groups (a byte copy; a resized copy) and one unique photo."""
    folder = tmp_path / "Family photos (2019) — été"
    folder.mkdir()
    make_photo(folder / "beach.jpg", seed=1, size=(640, 480))
    shutil.copyfile(folder / "beach.jpg", folder / "beach copy.jpg")
    make_photo(folder / "dog.jpg", seed=2, size=(640, 480))
    with Image.open(folder / "dog.jpg") as image:
        image.resize((320, 240)).save(folder / "dog small.jpg", quality=90)
    make_photo(folder / "unique.jpg", seed=3)
    return folder


@pytest.fixture
def lib(tiny_model: Path, system_trash: Path, library_path: Path, photos: Path):
    library = Library(library_path)
    library.run_scan(library.add_roots([photos]))
    yield library
    library.close()


def test_trash_moves_to_system_trash_and_undo_restores(
    lib: Library, photos: Path, system_trash: Path
) -> None:
    receipt = lib.trash([photos / "beach copy.jpg"])
    assert receipt.moved == [str(photos / "beach copy.jpg")]
    assert not (photos / "beach copy.jpg").exists()
    assert (system_trash / "files" / "beach copy.jpg").exists()
    assert len(list((system_trash / "info").glob("*.trashinfo"))) == 1
    assert lib.store.photo_by_path(str(photos / "beach copy.jpg")) is None
    assert lib.can_undo()
    assert lib.undo() == [str(photos / "beach copy.jpg")]
    assert (photos / "beach copy.jpg").read_bytes() == (photos / "beach.jpg").read_bytes()
    assert list((system_trash / "info").glob("*.trashinfo")) == []
    assert lib.store.photo_by_path(str(photos / "beach copy.jpg")).status == "indexed"
    assert not lib.can_undo()


def test_undo_survives_a_restart_and_goes_several_steps_deep(
    lib: Library, library_path: Path, photos: Path
) -> None:
    lib.trash([photos / "beach copy.jpg"])
    lib.trash([photos / "dog small.jpg"])
    lib.close()
    with Library(library_path) as reopened:
        assert reopened.undo() == [str(photos / "dog small.jpg")]
        assert reopened.undo() == [str(photos / "beach copy.jpg")]
        with pytest.raises(NothingToUndo):
            reopened.undo()
    assert (photos / "dog small.jpg").exists()
    assert (photos / "beach copy.jpg").exists()


def test_removing_every_copy_is_refused(lib: Library, photos: Path) -> None:
    with pytest.raises(TrashRefused, match="every copy"):
        lib.trash([photos / "dog.jpg", photos / "dog small.jpg"])
    assert (photos / "dog.jpg").exists()
    assert (photos / "dog small.jpg").exists()


def test_a_photo_without_duplicates_is_never_removed(lib: Library, photos: Path) -> None:
    with pytest.raises(TrashRefused, match="no duplicate"):
        lib.trash([photos / "unique.jpg"])
    assert (photos / "unique.jpg").exists()


def test_a_file_changed_since_indexing_is_refused(lib: Library, photos: Path) -> None:
    make_photo(photos / "beach copy.jpg", seed=50)  # another picture under the same name
    with pytest.raises(TrashRefused, match="changed since it was indexed"):
        lib.trash([photos / "beach copy.jpg"])
    assert (photos / "beach copy.jpg").exists()


def test_a_vanished_file_is_refused(lib: Library, photos: Path) -> None:
    (photos / "beach copy.jpg").unlink()
    with pytest.raises(TrashRefused, match="no longer exists"):
        lib.trash([photos / "beach copy.jpg"])


def test_outside_the_library_is_refused(lib: Library, tmp_path: Path) -> None:
    stranger = make_photo(tmp_path / "elsewhere.jpg", seed=1, size=(640, 480))
    with pytest.raises(TrashRefused):
        lib.trash([stranger])
    assert stranger.exists()


def test_one_refusal_refuses_the_whole_step(lib: Library, photos: Path) -> None:
    with pytest.raises(TrashRefused):
        lib.trash([photos / "beach copy.jpg", photos / "unique.jpg"])
    assert (photos / "beach copy.jpg").exists()


def test_undo_never_overwrites_a_new_file_at_the_old_path(lib: Library, photos: Path) -> None:
    lib.trash([photos / "beach copy.jpg"])
    make_photo(photos / "beach copy.jpg", seed=77)
    restored = lib.undo()
    assert restored == [str(photos / "beach copy (restored 1).jpg")]
    assert (photos / "beach copy.jpg").exists()


def test_not_a_duplicate_is_remembered(lib: Library, library_path: Path, photos: Path) -> None:
    before = {g.tier for g in lib.duplicate_groups()}
    assert "same_photo" in before
    lib.dismiss_group([photos / "dog.jpg", photos / "dog small.jpg"])
    lib.close()
    with Library(library_path) as reopened:
        paths = [set(g.paths) for g in reopened.duplicate_groups()]
        assert {str(photos / "dog.jpg"), str(photos / "dog small.jpg")} not in paths
        assert any(str(photos / "beach.jpg") in p for p in paths)
        with pytest.raises(TrashRefused):
            reopened.trash([photos / "dog small.jpg"])
