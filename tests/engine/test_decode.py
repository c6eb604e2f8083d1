"""Decoding: every bad input becomes a DecodeError with its own reason; good ones come upright."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import write_png_bomb
from twinlens.engine.errors import DecodeError, DecodeReason
from twinlens.engine.media.decode import decode_photo


def _jpeg(path: Path, size: tuple[int, int] = (640, 480), **save: object) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", **save)
    return path


def _reason(path: Path, **kwargs: object) -> DecodeReason:
    with pytest.raises(DecodeError) as caught:
        decode_photo(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.path == path
    return caught.value.reason


def test_good_jpeg_is_decoded_small_but_not_below_model_size(tmp_path: Path) -> None:
    photo = decode_photo(_jpeg(tmp_path / "a.jpg", (4000, 3000)), min_size=224)
    assert photo.info.width == 4000
    assert photo.info.height == 3000
    assert photo.image.mode == "RGB"
    # Draft mode: decoded at 1/8 scale, still at least 224 on each side.
    assert photo.image.size == (500, 375)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert _reason(path) is DecodeReason.EMPTY


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = _jpeg(tmp_path / "full.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    assert _reason(path) is DecodeReason.TRUNCATED


def test_text_file_with_photo_extension_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n")
    assert _reason(path) is DecodeReason.NOT_AN_IMAGE


def test_damaged_header_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(_jpeg(tmp_path / "ok.jpg").read_bytes())
    data[3:200] = b"\x00" * 197
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))
    assert _reason(path) is DecodeReason.CORRUPT


def test_png_named_jpg_decodes_by_content(tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.jpg"
    Image.new("RGB", (300, 200), (10, 200, 30)).save(path, "PNG")
    photo = decode_photo(path)
    assert photo.info.format == "PNG"
    assert photo.image.getpixel((5, 5)) == (10, 200, 30)


def test_gigantic_image_is_too_large_without_decoding(tmp_path: Path) -> None:
    path = write_png_bomb(tmp_path / "bomb.png", 100_000, 100_000)
    assert _reason(path) is DecodeReason.TOO_LARGE
    assert _reason(write_png_bomb(tmp_path / "b2.png", 3000, 3000), max_pixels=1_000_000) is (
        DecodeReason.TOO_LARGE
    )


def test_vanished_file(tmp_path: Path) -> None:
    assert _reason(tmp_path / "gone.jpg") is DecodeReason.VANISHED


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _jpeg(tmp_path / "locked.jpg")
    path.chmod(0)
    if os.name != "posix" or os.geteuid() == 0:
        # root reads everything: make the permission check fail as it would for a user.
        monkeypatch.setattr(os, "access", lambda *_args, **_kw: False)
    try:
        assert _reason(path) is DecodeReason.UNREADABLE
    finally:
        path.chmod(0o644)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    upright = Image.new("RGB", (400, 300), (255, 0, 0))
    upright.paste((0, 0, 255), (0, 0, 200, 300))  # left half blue
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    path = tmp_path / "rotated.jpg"
    sideways.save(path, "JPEG", exif=exif, quality=95)
    photo = decode_photo(path, min_size=64)
    assert photo.info.width == 400
    assert photo.info.height == 300
    assert photo.info.camera == "Canon EOS 5D"
    left = photo.image.getpixel((photo.image.width // 8, photo.image.height // 2))
    assert left[2] > 200
    assert left[0] < 60


def test_transparency_is_composited_on_white(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(path)
    assert decode_photo(path).image.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16"])
def test_other_modes_become_rgb(tmp_path: Path, mode: str) -> None:
    path = tmp_path / f"m{mode.replace(';', '')}.tiff"
    Image.new("RGB", (300, 300), (120, 120, 120)).convert(mode).save(path)
    assert decode_photo(path).image.mode == "RGB"


def test_heic_decodes(tmp_path: Path) -> None:
    """A phone's HEIC photo: tests/data/tiny.heic (320x240, orange left half, blue right
    half; made once with pillow-heif, see tests/data/README.md), so the test never depends on
    the build being able to write HEIC. Copied under a name without the extension, too: the
    format is sniffed from the content."""
    shipped = Path(__file__).resolve().parents[1] / "data" / "tiny.heic"
    unnamed = tmp_path / "IMG_0001"
    unnamed.write_bytes(shipped.read_bytes())
    for path in (shipped, unnamed):
        photo = decode_photo(path)
        assert (photo.info.width, photo.info.height, photo.info.format) == (320, 240, "HEIF")
        assert photo.image.mode == "RGB"
        for (x, y), colour in (((80, 120), (200, 100, 50)), ((240, 120), (40, 120, 220))):
            got = photo.image.getpixel((x, y))
            assert all(abs(a - b) < 12 for a, b in zip(got, colour, strict=True)), (x, got)


def test_decode_from_bytes_in_memory(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "mem.jpg")
    photo = decode_photo(path, data=path.read_bytes())
    assert photo.info.width == 640
