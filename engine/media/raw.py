"""Camera RAW files (CR2, CR3, NEF, ARW, DNG, RAF, ORF, RW2) through rawpy (LibRaw).

A RAW file holds the sensor's data and, almost always, the camera's own JPEG rendering of it
(the embedded preview). Where that preview is large enough it is what Twinlens looks at: it
is the picture the photographer saw, so a RAW and the JPEG the camera wrote beside it match
as the same photo, and it costs a JPEG decode instead of a demosaic. Otherwise LibRaw
demosaics at half size. EXIF orientation (LibRaw's ``flip``) is applied either way.

Pillow would open a TIFF-based RAW (DNG, NEF...) as a TIFF and show its tiny first IFD,
so RAW files are recognised by name and never reach Pillow's decoders; Pillow only reads
their TIFF tags (camera make and model) where it can.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from twinlens.engine.errors import DecodeError, DecodeReason

from .exif import camera_of, taken_at_of

RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2"})

# LibRaw's flip codes -> the transpose that makes the picture upright.
_FLIPS = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,
    6: Image.Transpose.ROTATE_270,
}


@dataclass(frozen=True)
class RawPhoto:
    """An upright RGB rendering of a RAW file and the facts read from it."""

    image: Image.Image
    width: int
    """Of the full RAW output, upright (not of the preview)."""
    height: int
    format: str
    camera: str
    taken_at: str


def is_raw_name(path: Path | str) -> bool:
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def raw_available() -> bool:
    """Whether rawpy is installed (a default dependency, but a build may lack it)."""
    try:
        import rawpy  # noqa: F401
    except ImportError:
        return False
    return True


def decode_raw(
    path: Path, data: bytes | None, min_size: int, max_pixels: int
) -> tuple[Image.Image, RawPhoto]:
    """Upright RGB pixels of a RAW file: its embedded preview if at least ``min_size`` on its
    shorter side (or half the sensor's), else a half-size demosaic.

    Raises:
        DecodeError: unsupported (rawpy missing, or a RAW LibRaw cannot read), corrupt,
            truncated, empty, unreadable, vanished or too_large.
    """
    try:
        import rawpy
    except ImportError as exc:
        detail = "RAW photos need the rawpy package: pip install rawpy"
        raise DecodeError(path, DecodeReason.UNSUPPORTED, detail) from exc
    if data is not None and not data:
        raise DecodeError(path, DecodeReason.EMPTY, "the file has 0 bytes")
    try:
        source: Any = io.BytesIO(data) if data is not None else str(path)
        with rawpy.imread(source) as raw:
            return _render(path, raw, data, min_size, max_pixels)
    except DecodeError:
        raise
    except FileNotFoundError as exc:
        raise DecodeError(path, DecodeReason.VANISHED, "the file no longer exists") from exc
    except PermissionError as exc:
        raise DecodeError(path, DecodeReason.UNREADABLE, str(exc)) from exc
    except MemoryError as exc:
        raise DecodeError(path, DecodeReason.TOO_LARGE, "not enough memory to decode") from exc
    except Exception as exc:  # LibRaw's errors, and whatever a hostile file trips
        raise _raw_error(path, exc) from exc


def _render(
    path: Path, raw: Any, data: bytes | None, min_size: int, max_pixels: int
) -> tuple[Image.Image, RawPhoto]:
    sizes = raw.sizes
    width, height = int(sizes.width), int(sizes.height)
    if width * height > max_pixels:
        raise DecodeError(
            path, DecodeReason.TOO_LARGE, f"{width}x{height} pixels is over the limit"
        )
    flip = int(sizes.flip)
    if flip in (5, 6):
        width, height = height, width
    enough = min(min_size, min(width, height) // 2)
    image = _preview(raw, flip, enough)
    if image is None:
        rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        image = Image.fromarray(np.ascontiguousarray(rgb))  # LibRaw applied the flip
    camera, taken = _tags(data if data is not None else path)
    if not taken:
        taken = _timestamp(raw)
    fmt = path.suffix.lstrip(".").upper()
    return image, RawPhoto(image, width, height, fmt, camera, taken)


def _preview(raw: Any, flip: int, enough: int) -> Image.Image | None:
    """The camera's embedded rendering, upright, when its shorter side is at least ``enough``."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        with Image.open(io.BytesIO(thumb.data)) as opened:
            opened.load()
            own = opened.getexif().get(0x0112, 1)
            image = ImageOps.exif_transpose(opened) if own != 1 else opened.copy()
        if own != 1:
            flip = 0  # the preview says its own orientation
    elif thumb.format == rawpy.ThumbFormat.BITMAP:
        image = Image.fromarray(np.ascontiguousarray(thumb.data))
    else:
        return None
    if min(image.size) < enough:
        return None
    if flip in _FLIPS:
        image = image.transpose(_FLIPS[flip])
    return image.convert("RGB")


def _tags(source: bytes | Path) -> tuple[str, str]:
    """Camera and capture time from the file's TIFF tags, where Pillow can read them."""
    try:
        opened = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception:  # not TIFF-based (CR3, RAF): LibRaw's timestamp is the fallback
        return "", ""
    with opened:
        try:
            exif = opened.getexif()
            return camera_of(exif), taken_at_of(exif)
        except Exception:
            return "", ""


def _timestamp(raw: Any) -> str:
    """LibRaw's capture time in EXIF's form, "" when the file has none."""
    try:
        stamp = raw.other.timestamp
    except AttributeError:
        return ""
    if stamp is None or stamp.year <= 1970:
        return ""
    return str(stamp.strftime("%Y:%m:%d %H:%M:%S"))


def _raw_error(path: Path, exc: BaseException) -> DecodeError:
    name = type(exc).__name__
    text = f"{name}: {exc}"[:300]
    if "Unsupported" in name or "FileUnsupported" in name:
        return DecodeError(path, DecodeReason.UNSUPPORTED, f"LibRaw cannot read it ({text})")
    if "IOError" in name or "Truncat" in text or "EOF" in name:
        return DecodeError(path, DecodeReason.TRUNCATED, f"the RAW data ends early ({text})")
    return DecodeError(path, DecodeReason.CORRUPT, f"the RAW data is damaged ({text})")
