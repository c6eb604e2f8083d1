"""Shared fixtures: isolated libraries, bad files made at test time, the shared photo data."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared"))
PHOTOS = SHARED / "data" / "photos"


def in_ci() -> bool:
    """Whether this run is CI's (``.ci/run`` and most CI services set ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unmet(reason: str) -> NoReturn:
    """A test's precondition is missing (data, an extra, a model file): say so and skip it.

    Under ``CI=true`` it fails instead, so CI can never go green on a suite that ran nothing
    of substance. Only what a machine cannot have by nature (root for a tmpfs mount, another
    platform's signals or names) may skip in CI, and those use plain ``skipif`` markers.
    Works at module level (a conftest or test module) as well as inside a test or fixture.
    """
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing precondition fails the run)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def need_module(name: str, why: str) -> ModuleType:
    """Import ``name``, or ``unmet`` saying what it is for and how the import failed."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        unmet(f"{why}: {name} cannot be imported ({exc})")


def shared_photos(folder: str) -> Path:
    """A folder of ../shared/data/photos, or ``unmet`` saying what is missing."""
    path = PHOTOS / folder
    if not path.is_dir():
        unmet(f"shared photo data not found at {path} (set TWINLENS_SHARED)")
    return path


@pytest.fixture(autouse=True)
def _isolated_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the developer's real library."""
    monkeypatch.setenv("TWINLENS_LIBRARY", str(tmp_path / "default.twinlens"))


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "test.twinlens"


@pytest.fixture
def library(library_path: Path) -> Iterator[object]:
    from twinlens.engine.library import Library

    lib = Library(library_path)
    yield lib
    lib.close()


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny model file, used by every engine entry point through $TWINLENS_MODEL."""
    need_module("onnx", "building the tiny test model needs the onnx package")
    from tests.tiny_model import write_tiny_model

    path = write_tiny_model(tmp_path / "tiny.onnx")
    monkeypatch.setenv("TWINLENS_MODEL", str(path))
    return path


def make_photo(path: Path, seed: int, size: tuple[int, int] = (320, 240)) -> Path:
    """A photo-like picture (smooth shapes, not noise) that survives resizing and JPEG."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    image = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.integers(0, size[0]), rng.integers(0, size[1])
        x1, y1 = x0 + rng.integers(30, size[0]), y0 + rng.integers(30, size[1])
        draw.ellipse((x0, y0, x1, y1), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    image.save(path, quality=92)
    return path


def write_png_bomb(path: Path, width: int, height: int) -> Path:
    """A tiny, valid-looking PNG that claims a gigantic 1-bit image (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def system_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the freedesktop trash at a temporary folder: tests never touch the real trash."""
    import send2trash.plat_other as other

    data_home = tmp_path / "xdg-data"
    data_home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.setattr(other, "XDG_DATA_HOME", os.fsencode(data_home))
    monkeypatch.setattr(other, "HOMETRASH_B", os.fsencode(data_home / "Trash"))
    monkeypatch.setattr(other, "HOMETRASH", str(data_home / "Trash"))
    return data_home / "Trash"
