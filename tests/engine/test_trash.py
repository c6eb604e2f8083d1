"""Safe removal: system trash with undo across restarts, never the last copy, never stale."""

from __future__ import annotations

import os
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


def test_outside_the_library_is_refused(lib: Library, photos: Path, tmp_path: Path) -> None:
    """An indexed duplicate whose folder is no longer one of the library's roots stays."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stranger = elsewhere / "beach again.jpg"
    shutil.copyfile(photos / "beach.jpg", stranger)
    lib.run_scan(lib.add_roots([elsewhere]))
    assert any(str(stranger) in g.paths for g in lib.duplicate_groups())
    with lib.store.writing() as db:  # the folder is forgotten as a root, its rows stay
        db.execute("delete from roots where path = ?", [os.fsencode(elsewhere)])
    with pytest.raises(TrashRefused, match="outside the library's folders"):
        lib.trash([stranger])
    assert stranger.exists()


def test_a_symbolic_link_is_never_a_copy_and_never_removed(
    lib: Library, photos: Path, system_trash: Path
) -> None:
    (photos / "link_in.jpg").symlink_to(photos / "beach.jpg")
    (photos / "beach_link.jpg").symlink_to(photos / "beach copy.jpg")
    summary = lib.run_scan()
    assert summary.links_skipped == 2
    grouped = {Path(p).name for g in lib.duplicate_groups() for p in g.paths}
    assert "link_in.jpg" not in grouped
    assert "beach_link.jpg" not in grouped
    with pytest.raises(TrashRefused, match=r"link_in\.jpg is a symbolic link"):
        lib.trash([photos / "link_in.jpg"])
    with pytest.raises(TrashRefused, match=r"beach_link\.jpg is a symbolic link"):
        lib.trash([photos / "beach.jpg", photos / "beach_link.jpg"])
    assert (photos / "beach.jpg").is_file()
    assert (photos / "beach copy.jpg").is_file()
    assert os.readlink(photos / "link_in.jpg") == str(photos / "beach.jpg")
    assert not (system_trash / "files").exists() or not any((system_trash / "files").iterdir())


def test_a_copy_that_stays_is_rechecked_first(lib: Library, photos: Path) -> None:
    make_photo(photos / "beach copy.jpg", seed=99)  # the copy that would stay changed
    with pytest.raises(TrashRefused, match=r"its copy .*beach copy.jpg.*changed since"):
        lib.trash([photos / "beach.jpg"])
    assert (photos / "beach.jpg").exists()


def test_a_copy_moved_away_refuses_removing_the_last_real_copy(
    lib: Library, photos: Path, tmp_path: Path
) -> None:
    (photos / "beach copy.jpg").rename(tmp_path / "moved away.jpg")
    with pytest.raises(TrashRefused, match=r"its copy .*beach copy.jpg.*no longer exists"):
        lib.trash([photos / "beach.jpg"])
    assert (photos / "beach.jpg").exists()


def test_a_copy_that_became_a_link_is_not_relied_on(lib: Library, photos: Path) -> None:
    (photos / "beach copy.jpg").unlink()
    (photos / "beach copy.jpg").symlink_to(photos / "beach.jpg")
    with pytest.raises(TrashRefused, match=r"its copy .*is a symbolic link"):
        lib.trash([photos / "beach.jpg"])
    assert (photos / "beach.jpg").is_file()


def test_the_same_file_named_several_ways_counts_once(
    lib: Library, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(photos)
    receipt = lib.trash(["beach copy.jpg", "./beach copy.jpg", f"../{photos.name}/beach copy.jpg"])
    assert receipt.moved == [str(photos / "beach copy.jpg")]
    assert receipt.failed == []
    assert (photos / "beach.jpg").exists()


def test_one_file_that_cannot_move_is_reported_and_the_rest_go(
    lib: Library, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinlens.engine.removal import trash as trash_module

    real = trash_module.send_to_trash

    def refuse_dog(path: Path) -> str:
        if path.name == "dog small.jpg":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(trash_module, "send_to_trash", refuse_dog)
    receipt = lib.trash([photos / "beach copy.jpg", photos / "dog small.jpg"])
    assert receipt.moved == [str(photos / "beach copy.jpg")]
    assert receipt.failed == [(str(photos / "dog small.jpg"), "Permission denied")]
    assert (photos / "dog small.jpg").exists()
    states = lib.store.rows("select state from trash_items order by id")
    assert [s for (s,) in states] == ["trashed", "failed"]
    assert lib.store.photo_by_path(str(photos / "dog small.jpg")) is not None
    assert lib.undo() == [str(photos / "beach copy.jpg")]


def test_a_name_near_the_255_byte_limit_goes_to_the_trash_and_back(
    lib: Library, photos: Path, system_trash: Path
) -> None:
    long_name = photos / ("b" * 246 + ".jpg")
    shutil.copyfile(photos / "beach.jpg", long_name)
    lib.run_scan()
    receipt = lib.trash([photos / "beach copy.jpg", long_name])
    assert receipt.failed == []
    assert not long_name.exists()
    info = next(i for i in (system_trash / "info").iterdir() if "bbbb" in i.name)
    assert len(info.name.encode()) <= 255
    assert long_name.name in info.read_text()
    assert sorted(lib.undo()) == sorted([str(photos / "beach copy.jpg"), str(long_name)])
    assert long_name.read_bytes() == (photos / "beach.jpg").read_bytes()


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
