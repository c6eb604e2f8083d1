"""The shipped model on real photos: edited copies are duplicates, other shots are not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from tests.conftest import shared_photos
from twinlens.engine.library import Library


@pytest.fixture(scope="module")
def groups(tmp_path_factory: pytest.TempPathFactory):
    kodak, ukbench = shared_photos("kodak"), shared_photos("ukbench")
    folder = tmp_path_factory.mktemp("real")
    for png in sorted(kodak.glob("*.png"))[:8]:
        with Image.open(png) as image:
            image = image.convert("RGB")
            image.save(folder / f"{png.stem}.jpg", quality=90)
            image.resize((image.width // 2, image.height // 2)).save(
                folder / f"{png.stem}_half.jpg", quality=75
            )
            ImageEnhance.Brightness(image).enhance(1.15).save(folder / f"{png.stem}_bright.png")
    for jpg in sorted(ukbench.glob("*.jpg"))[:24]:  # six objects, four shots each
        shutil.copyfile(jpg, folder / jpg.name)
    library = Library(tmp_path_factory.mktemp("lib") / "real.twinlens")
    library.run_scan(library.add_roots([folder]))
    found = library.duplicate_groups(include_similar=True)
    library.close()
    return found


def test_edited_copies_are_grouped_as_duplicates(groups) -> None:
    duplicates = [g for g in groups if g.tier in ("same_photo", "edited_copy")]
    grouped = {Path(p).name for g in duplicates for p in g.paths}
    expected = {f"kodim0{i}{s}" for i in range(1, 9) for s in (".jpg", "_half.jpg", "_bright.png")}
    assert len(expected & grouped) / len(expected) >= 0.95
    for group in duplicates:
        assert len({Path(p).name[:7] for p in group.paths}) == 1  # never two different photos


def test_other_shots_of_one_object_are_never_duplicates(groups) -> None:
    for group in groups:
        if group.tier != "similar_shot":
            assert not any(Path(p).name.startswith("ukbench") for p in group.paths)
