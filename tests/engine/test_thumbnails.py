"""Thumbnails: upright, bounded, cached by content so a rename reuses them, bad files typed."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo
from twinlens.engine.errors import DecodeError, DecodeReason
from twinlens.engine.media.thumbnails import Thumbnails, bucket


def test_thumbnail_is_a_bounded_jpeg(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "a.jpg", 1, size=(640, 480))
    data = Thumbnails(tmp_path / "cache").get(photo, 100)
    image = Image.open(BytesIO(data))
    assert image.format == "JPEG"
    assert max(image.size) == bucket(100) == 128
    assert image.size[0] > image.size[1]


def test_thumbnail_is_upright_for_exif_rotated_photos(tmp_path: Path) -> None:
    photo = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    Image.new("RGB", (400, 200), "red").save(photo, exif=exif)
    data = Thumbnails(tmp_path / "cache").get(photo, 128)
    width, height = Image.open(BytesIO(data)).size
    assert height > width


def test_cache_is_keyed_by_content_so_a_renamed_photo_reuses_it(tmp_path: Path) -> None:
    thumbs = Thumbnails(tmp_path / "cache")
    photo = make_photo(tmp_path / "a.jpg", 2)
    first = thumbs.get(photo, 128, content="abc123")
    moved = photo.rename(tmp_path / "b.jpg")
    assert thumbs.cached(moved, 128, content="abc123") == first
    moved.unlink()
    assert thumbs.get(moved, 128, content="abc123") == first  # served without the file


def test_unhashed_files_are_keyed_by_path_and_change(tmp_path: Path) -> None:
    thumbs = Thumbnails(tmp_path / "cache")
    photo = make_photo(tmp_path / "a.jpg", 3)
    thumbs.get(photo, 128)
    assert thumbs.cached(photo, 128) is not None
    make_photo(photo, 4, size=(300, 200))
    assert thumbs.cached(photo, 128) is None


def test_a_bad_file_raises_a_typed_reason(tmp_path: Path) -> None:
    broken = tmp_path / "empty.jpg"
    broken.write_bytes(b"")
    with pytest.raises(DecodeError) as caught:
        Thumbnails(tmp_path / "cache").get(broken, 128)
    assert caught.value.reason is DecodeReason.EMPTY
