"""Seeded, reproducible damage to real photos: byte flips, overwritten spans, truncations.

Every variant is a pure function of (format, seed, index), so a failure found by the script
can be replayed exactly by the test suite.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "BMP", "HEIC")
SUFFIX = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "TIFF": ".tif",
    "GIF": ".gif",
    "BMP": ".bmp",
    "HEIC": ".heic",
}


def source_photo() -> Image.Image:
    """A real photo that ships with Twinlens (a Kodak sample), small enough to fuzz fast."""
    from importlib.resources import files

    path = Path(str(files("twinlens.resources").joinpath("samples", "kodim03.jpg")))
    with Image.open(path) as image:
        return image.convert("RGB").resize((384, 256))


def encoded(image: Image.Image, fmt: str) -> bytes:
    """``image`` saved in ``fmt`` (HEIC through pillow-heif)."""
    if fmt == "HEIC":
        import pillow_heif

        pillow_heif.register_heif_opener()
    out = io.BytesIO()
    image.save(out, "HEIF" if fmt == "HEIC" else fmt)
    return out.getvalue()


def variants(data: bytes, seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` damaged copies of ``data``: (how it was damaged, bytes)."""
    rng = np.random.default_rng(seed)
    kinds = ("flip", "span", "truncate", "insert", "header")
    for index in range(count):
        kind = kinds[index % len(kinds)]
        raw = bytearray(data)
        if kind == "truncate":
            raw = raw[: int(rng.integers(0, len(raw)))]
        elif kind == "flip":
            for at in rng.integers(0, len(raw), int(rng.integers(1, 24))):
                raw[at] ^= int(rng.integers(1, 256))
        elif kind == "span":
            start = int(rng.integers(0, len(raw)))
            length = int(rng.integers(1, 256))
            raw[start : start + length] = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        elif kind == "insert":
            at = int(rng.integers(0, len(raw)))
            raw[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
        else:  # the first 64 bytes: sizes, dimensions and chunk lengths live there
            for at in rng.integers(0, min(64, len(raw)), int(rng.integers(1, 6))):
                raw[at] = int(rng.integers(0, 256))
        yield kind, bytes(raw)


def write_variants(folder: Path, fmt: str, seed: int, count: int) -> list[Path]:
    """Write ``count`` damaged copies of the source photo in ``fmt`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = encoded(source_photo(), fmt)
    paths = []
    for index, (kind, raw) in enumerate(variants(data, seed, count)):
        path = folder / f"{fmt.lower()}-{seed}-{index:04d}-{kind}{SUFFIX[fmt]}"
        path.write_bytes(raw)
        paths.append(path)
    return paths
