"""The duplicate finder on real photos and their edits: candidates from every source, the
verification ladder, named edits, and the verdict cache.

Each edit here defeats one cheap check on purpose: crops and tilts move the pixel signature,
quarter turns and mirrors move the learned code, bars and a watermark change the whole
picture's statistics. A finder that lost any candidate source or verification step would
leave one of them out of its photo's group.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageOps

from tests.conftest import shared_photos
from twinlens.engine.library import Library
from twinlens.engine.matching.duplicates import Report

PHOTOS = ("kodim03", "kodim05", "kodim13")


def _crop(image: Image.Image, keep: float, corner: bool) -> Image.Image:
    side = math.sqrt(keep)
    w, h = round(image.width * side), round(image.height * side)
    left, top = (
        ((image.width - w) // 10, (image.height - h) // 10)
        if corner
        else (
            (image.width - w) // 2,
            (image.height - h) // 2,
        )
    )
    return image.crop((left, top, left + w, top + h))


def _letterbox(image: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (round(image.height * 16 / 9), image.height))
    canvas.paste(image, ((canvas.width - image.width) // 2, 0))
    return canvas


def _watermark(image: Image.Image) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    draw.rectangle(
        (int(w * 0.65), int(h * 0.85), int(w * 0.98), int(h * 0.97)), (255,) * 3 + (150,)
    )
    draw.text((int(w * 0.67), int(h * 0.86)), "(c) 2026", fill=(0, 0, 0, 255))
    return out


EDITS = {
    "crop70": lambda im: _crop(im, 0.70, corner=False),
    "crop80off": lambda im: _crop(im, 0.80, corner=True),
    "tilt7": lambda im: im.rotate(7, resample=Image.Resampling.BICUBIC),
    "turn90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "mirror": ImageOps.mirror,
    "letterbox": _letterbox,
    "watermark": _watermark,
    "grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):
    kodak, ukbench = shared_photos("kodak"), shared_photos("ukbench")
    folder = tmp_path_factory.mktemp("edits")
    for name in PHOTOS:
        with Image.open(kodak / f"{name}.png") as image:
            image = image.convert("RGB")
        image.save(folder / f"{name}.jpg", quality=92)
        for edit, make in EDITS.items():
            make(image).save(folder / f"{name}_{edit}.jpg", quality=88)
    for jpg in sorted(ukbench.glob("*.jpg"))[:8]:  # two objects, four shots each
        (folder / jpg.name).write_bytes(jpg.read_bytes())
    lib = Library(tmp_path_factory.mktemp("lib") / "edits.twinlens")
    lib.run_scan(lib.add_roots([folder]))
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def first_run(library: Library):
    report = Report()
    return library.duplicate_groups(report=report), report


def _by_photo(groups) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for group in groups:
        names = {Path(p).stem for p in group.paths}
        for name in PHOTOS:
            if name in names:
                out[name] = names
    return out


def test_every_edit_joins_its_photo_and_nothing_else(first_run) -> None:
    groups, _ = first_run
    found = _by_photo(groups)
    for name in PHOTOS:
        expected = {name, *(f"{name}_{edit}" for edit in EDITS)}
        assert found.get(name) == expected, f"{name}: missing {expected - found.get(name, set())}"


def test_other_shots_of_one_object_are_not_duplicates(first_run) -> None:
    groups, _ = first_run
    for group in groups:
        assert not any(Path(p).name.startswith("ukbench") for p in group.paths)


def test_members_say_what_their_edit_is(first_run) -> None:
    groups, _ = first_run
    edit_of = {Path(m.path).stem: m.edit for g in groups for m in g.members}
    assert "cropped" in edit_of["kodim03_crop70"]
    assert "rotated" in edit_of["kodim05_tilt7"]
    assert "mirror" in edit_of["kodim13_mirror"]
    assert "greyscale" in edit_of["kodim03_grey"]


def test_geometric_work_is_measured_and_cached(library: Library, first_run) -> None:
    groups, report = first_run
    assert report.signature_pairs > 0
    assert report.code_pairs > 0
    assert report.geometric_verified > 0  # crops and tilts need the keypoint step
    again = Report()
    second = library.duplicate_groups(report=again)
    assert again.geometric_checked == 0  # every verdict came from the library's cache
    assert [sorted(g.paths) for g in second] == [sorted(g.paths) for g in groups]


def test_unreadable_files_keep_their_groups_and_are_checked_again(tmp_path: Path) -> None:
    """A drive unplugged: the stored thumbnails still group the same photo, and nothing is
    cached as "not a duplicate" because a file could not be read."""
    kodak = shared_photos("kodak")
    folder = tmp_path / "drive"
    folder.mkdir()
    with Image.open(kodak / "kodim07.png") as image:
        image = image.convert("RGB")
    image.save(folder / "photo.jpg", quality=92)
    image.resize((image.width // 2, image.height // 2)).save(folder / "small.jpg", quality=80)
    _crop(image, 0.7, corner=False).save(folder / "crop.jpg", quality=90)
    with Library(tmp_path / "lib.twinlens") as library:
        library.run_scan(library.add_roots([folder]))
        folder.rename(tmp_path / "unplugged")
        offline = library.duplicate_groups()
        assert [sorted(Path(p).name for p in g.paths) for g in offline] == [
            ["photo.jpg", "small.jpg"]
        ]
        (tmp_path / "unplugged").rename(folder)
        back = library.duplicate_groups()
        assert [sorted(Path(p).name for p in g.paths) for g in back] == [
            ["crop.jpg", "photo.jpg", "small.jpg"]
        ]
