"""Many groups as one removal step, and the move-to-folder journal (issue 12)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine import Library, TrashRefused
from twinlens.engine.storage.journal import MOVE


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(3):
        make_photo(folder / f"a{index}.jpg", seed=index)
        shutil.copyfile(folder / f"a{index}.jpg", folder / f"a{index} copy.jpg")
    return folder


def test_selections_that_together_would_empty_a_group_are_refused(
    tiny_model: Path, pairs: Path, library_path: Path, system_trash: Path
) -> None:
    with Library(library_path) as library:
        library.run_scan(library.add_roots([pairs]))
        batch = library.remove_groups(
            [[pairs / "a0 copy.jpg"], [pairs / "a0.jpg"], [pairs / "a1 copy.jpg"]]
        )
        assert sorted(Path(p).name for p in batch.receipt.moved) == ["a0 copy.jpg", "a1 copy.jpg"]
        [(names, why)] = batch.refused
        assert names == [str(pairs / "a0.jpg")]
        assert "would remove every copy" in why
        assert (pairs / "a0.jpg").exists()
        restored = library.undo()  # one step for the whole batch
        assert len(restored) == 2


def test_a_file_named_in_two_selections_counts_once(
    tiny_model: Path, pairs: Path, library_path: Path, system_trash: Path
) -> None:
    with Library(library_path) as library:
        library.run_scan(library.add_roots([pairs]))
        batch = library.remove_groups([[pairs / "a2 copy.jpg"], [pairs / "./a2 copy.jpg"]])
        assert batch.receipt.moved == [str(pairs / "a2 copy.jpg")]
        assert batch.refused == []


def test_an_interrupted_move_is_finished_on_the_next_open(
    tiny_model: Path, pairs: Path, library_path: Path, tmp_path: Path
) -> None:
    aside = tmp_path / "aside"
    with Library(library_path) as library:
        library.run_scan(library.add_roots([pairs]))
        groups = library.duplicate_groups()
        from twinlens.engine.removal.rules import normalise, plan_removal

        wanted = normalise([pairs / "a0 copy.jpg", pairs / "a1 copy.jpg"])
        plan = plan_removal(library.store, wanted, library.roots(), groups)
        first, second = library.journal.claim(plan.files, plan.survivors, MOVE, str(aside))
        # Killed after the first file moved and the second's name was reserved.
        target = aside / "photos" / "a0 copy.jpg"
        library.journal.moving(first, str(target))
        target.parent.mkdir(parents=True)
        (pairs / "a0 copy.jpg").rename(target)
        reserved = aside / "photos" / "a1 copy.jpg"
        library.journal.moving(second, str(reserved))
        reserved.touch()
    with Library(library_path) as library:
        assert not reserved.exists()  # the reservation of the move that never happened
        assert (pairs / "a1 copy.jpg").exists()
        restored = library.undo()
        assert restored == [str(pairs / "a0 copy.jpg")]
        assert (pairs / "a0 copy.jpg").exists()
        assert not target.exists()


def test_move_refuses_a_destination_that_is_a_file(
    tiny_model: Path, pairs: Path, library_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x")
    with Library(library_path) as library:
        library.run_scan(library.add_roots([pairs]))
        with pytest.raises(TrashRefused, match="is not a folder"):
            library.trash([pairs / "a0 copy.jpg"], to=tmp_path / "file")
        assert (pairs / "a0 copy.jpg").exists()
