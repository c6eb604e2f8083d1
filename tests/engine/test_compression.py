"""How lossy a file is (media/compression.py): the keeper rule's third criterion."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import shared_photos
from twinlens.engine.media.compression import (
    JPEG_TRACE_THRESHOLD,
    jpeg_trace,
    webp_is_lossless,
)
from twinlens.engine.media.decode import decode_photo


def _textured(seed: int, size: tuple[int, int] = (512, 384)) -> Image.Image:
    """A photo-like picture with fine texture everywhere (no flat areas)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]]
    base = 128 + 60 * np.sin(x / 37.0 + seed) * np.cos(y / 23.0)
    noise = rng.normal(0, 12, (size[1], size[0], 3))
    pixels = np.clip(base[..., None] + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def _via_jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    out.seek(0)
    return Image.open(out).convert("RGB")


@pytest.mark.parametrize("quality", [50, 75, 90, 95])
def test_a_jpeg_leaves_its_trace_and_a_genuine_picture_does_not(quality: int) -> None:
    picture = _textured(quality)
    assert jpeg_trace(picture) < JPEG_TRACE_THRESHOLD
    assert jpeg_trace(_via_jpeg(picture, quality)) > JPEG_TRACE_THRESHOLD


def test_real_photos_genuine_and_converted() -> None:
    kodak = shared_photos("kodak")
    for path in sorted(kodak.glob("*.png"))[:6]:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        assert jpeg_trace(image) < JPEG_TRACE_THRESHOLD, path.name
        assert jpeg_trace(_via_jpeg(image, 92)) > JPEG_TRACE_THRESHOLD, path.name


def test_decode_tells_png_conversions_from_lossless_originals(tmp_path: Path) -> None:
    picture = _textured(7)
    picture.save(tmp_path / "original.png")
    _via_jpeg(picture, 88).save(tmp_path / "converted.png")
    picture.save(tmp_path / "photo.jpg", quality=88)
    assert decode_photo(tmp_path / "original.png").info.compression == "lossless"
    assert decode_photo(tmp_path / "converted.png").info.compression == "from_jpeg"
    assert decode_photo(tmp_path / "photo.jpg").info.compression == "lossy"
    picture.convert("P").save(tmp_path / "palette.png")
    assert decode_photo(tmp_path / "palette.png").info.compression == "palette"


def test_webp_lossless_or_lossy_from_its_chunks(tmp_path: Path) -> None:
    picture = _textured(3, (64, 48))
    picture.save(tmp_path / "lossless.webp", lossless=True)
    picture.save(tmp_path / "lossy.webp", quality=80)
    assert webp_is_lossless((tmp_path / "lossless.webp").read_bytes())
    assert not webp_is_lossless((tmp_path / "lossy.webp").read_bytes())
    assert decode_photo(tmp_path / "lossy.webp").info.compression == "lossy"
    assert decode_photo(tmp_path / "lossless.webp").info.compression == "lossless"
    assert not webp_is_lossless(b"RIFF\x00\x00\x00\x00WEBP")
