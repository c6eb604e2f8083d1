"""Camera RAW files through rawpy (media/raw.py) and RAW + JPEG pairs (matching/pairs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import make_photo
from tests.dng import write_dng
from twinlens.engine.errors import DecodeError, DecodeReason
from twinlens.engine.media.decode import decode_photo
from twinlens.engine.media.files import is_photo_name

pytest.importorskip("rawpy", reason="RAW decoding needs rawpy (a default dependency)")


def _picture(seed: int = 1, size: tuple[int, int] = (320, 240)) -> Image.Image:
    path = Path(f"/tmp/twinlens-raw-{seed}-{size[0]}.jpg")
    make_photo(path, seed, size)
    with Image.open(path) as image:
        return image.convert("RGB")


def test_every_raw_extension_is_a_photo_name() -> None:
    for ext in ("CR2", "CR3", "NEF", "ARW", "dng", "RAF", "ORF", "RW2"):
        assert is_photo_name(f"/p/IMG_1.{ext}")


def test_a_large_enough_preview_is_used_upright(tmp_path: Path) -> None:
    picture = _picture()
    red = Image.new("RGB", (320, 240), (220, 20, 20))
    path = write_dng(tmp_path / "IMG_1.dng", picture, preview=red, orientation=6)
    decoded = decode_photo(path, min_size=100)
    assert decoded.image.size == (240, 320)  # turned upright (orientation 6)
    assert np.asarray(decoded.image)[..., 0].mean() > 200  # the preview's red, not the mosaic
    info = decoded.info
    assert (info.width, info.height, info.format) == (240, 320, "DNG")
    assert (info.compression, info.camera) == ("raw", "Twinlens Test DNG")


def test_a_small_preview_gives_way_to_a_half_size_demosaic(tmp_path: Path) -> None:
    picture = _picture(2)
    tiny = Image.new("RGB", (40, 30), (220, 20, 20))
    path = write_dng(tmp_path / "IMG_2.dng", picture, preview=tiny)
    decoded = decode_photo(path, min_size=224)
    assert decoded.image.size == (160, 120)  # half of the 320x240 mosaic
    assert np.asarray(decoded.image)[..., 0].mean() < 200
    without = write_dng(tmp_path / "IMG_3.dng", picture)
    assert decode_photo(without, min_size=224).image.size == (160, 120)


def test_the_demosaic_is_turned_upright_too(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "IMG_4.dng", _picture(3), orientation=6)
    decoded = decode_photo(path)
    assert decoded.image.size == (120, 160)
    assert (decoded.info.width, decoded.info.height) == (240, 320)


def test_damaged_and_empty_raw_files_are_typed_errors(tmp_path: Path) -> None:
    good = write_dng(tmp_path / "good.dng", _picture(4))
    (tmp_path / "cut.nef").write_bytes(good.read_bytes()[:300])
    (tmp_path / "empty.cr2").write_bytes(b"")
    (tmp_path / "text.arw").write_bytes(b"this is not a raw file at all" * 20)
    for name, reasons in (
        ("cut.nef", {DecodeReason.CORRUPT, DecodeReason.TRUNCATED, DecodeReason.UNSUPPORTED}),
        ("empty.cr2", {DecodeReason.EMPTY}),
        ("text.arw", {DecodeReason.UNSUPPORTED, DecodeReason.CORRUPT}),
    ):
        with pytest.raises(DecodeError) as caught:
            decode_photo(tmp_path / name)
        assert caught.value.reason in reasons, name
    with pytest.raises(DecodeError) as caught:
        decode_photo(tmp_path / "empty.cr2", data=b"")
    assert caught.value.reason == DecodeReason.EMPTY


def test_raw_without_rawpy_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    import builtins

    path = write_dng(tmp_path / "IMG_5.dng", _picture(5))
    real_import = builtins.__import__

    def no_rawpy(name: str, *args: object, **kwargs: object) -> object:
        if name == "rawpy":
            raise ImportError("no rawpy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rawpy)
    with pytest.raises(DecodeError) as caught:
        decode_photo(path)
    assert caught.value.reason == DecodeReason.UNSUPPORTED
    assert "pip install rawpy" in caught.value.detail


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    """A folder with a RAW + JPEG pair of one shot, a web copy of it, and another photo."""
    folder = tmp_path / "camera"
    folder.mkdir()
    picture = _picture(6)
    write_dng(folder / "IMG_0042.dng", picture, preview=picture)
    picture.save(folder / "IMG_0042.jpg", quality=95)
    picture.resize((160, 120)).save(folder / "IMG_0042_small.jpg", quality=80)
    make_photo(folder / "other.jpg", seed=77)
    return folder


def test_raw_and_jpeg_of_one_shot_are_a_pair_never_proposed(
    tiny_model: Path, shot: Path, library_path: Path, system_trash: Path
) -> None:
    from twinlens.engine import Library, TrashRefused

    with Library(library_path) as library:
        library.run_scan(library.add_roots([shot]))
        [group] = library.duplicate_groups()
        halves = {Path(m.path).name: m.pair for m in group.members}
        assert halves == {"IMG_0042.dng": "raw", "IMG_0042.jpg": "jpeg", "IMG_0042_small.jpg": ""}
        assert group.keeper.endswith("IMG_0042.dng")
        assert [Path(p).name for p in group.proposed_for_removal()] == ["IMG_0042_small.jpg"]
        with pytest.raises(TrashRefused, match="RAW \\+ JPEG pair"):
            library.trash([shot / "IMG_0042.jpg"])
        library.set_raw_jpeg_removable(True)
        with pytest.raises(TrashRefused, match="RAW \\+ JPEG pair"):
            library.trash([shot / "IMG_0042.dng"])  # the RAW of a pair is never removed
        [group] = library.duplicate_groups()
        assert sorted(Path(p).name for p in group.proposed_for_removal()) == [
            "IMG_0042.jpg",
            "IMG_0042_small.jpg",
        ]
        receipt = library.trash([shot / "IMG_0042.jpg"])
        assert [Path(p).name for p in receipt.moved] == ["IMG_0042.jpg"]


def test_only_a_raw_and_its_jpeg_is_a_group_shown_as_a_pair(
    tiny_model: Path, shot: Path, library_path: Path
) -> None:
    from twinlens.engine import Library

    (shot / "IMG_0042_small.jpg").unlink()
    with Library(library_path) as library:
        library.run_scan(library.add_roots([shot]))
        [group] = library.duplicate_groups()
        assert group.raw_jpeg_pair
        assert group.proposed_for_removal() == []
    shutil.copyfile(shot / "IMG_0042.dng", shot / "IMG_0042 copy.dng")  # a copy is no pair
    with Library(library_path) as library:
        library.run_scan()
        [group] = library.duplicate_groups()
        assert not group.raw_jpeg_pair
        assert [Path(p).name for p in group.proposed_for_removal()] == ["IMG_0042 copy.dng"]
