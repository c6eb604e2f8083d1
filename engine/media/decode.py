"""Safe, fast photo decoding: one bad file becomes a typed DecodeError, never a crash.

JPEGs are decoded with Pillow's draft mode (DCT scaling), so a 12-megapixel photo is decoded at
1/8 scale when the model only needs 224 pixels; EXIF orientation is applied so a rotated camera
JPEG and its upright copy look the same to the model; HEIC/HEIF goes through pillow-heif;
camera RAW files go through rawpy (raw.py), never through Pillow's TIFF reader.

Memory is bounded: formats that cannot be decoded at a reduced size (PNG, TIFF, WebP...) are
refused as ``too_large`` when their full decode would pass the memory budget, and every image
is reduced in its own mode, before the RGB conversion, to the size its callers need. Whatever
Pillow or a codec raises on a hostile file becomes a typed DecodeError (fuzzed in
tests/engine/test_fuzz_decode.py), so one bad photo never stops a scan.
"""

from __future__ import annotations

import errno
import io
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from twinlens.engine.errors import DecodeError, DecodeReason

from .compression import RAW, compression_of
from .exif import camera_of, taken_at_of
from .raw import decode_raw, is_raw_name

DEFAULT_MAX_PIXELS = 250_000_000
"""Largest photo we decode (about 16k x 16k): bigger is a decompression bomb or not a photo."""
DEFAULT_MEMORY_BUDGET = 512 << 20
"""Most bytes one full-size decode may take (JPEGs are decoded reduced and rarely need it)."""

_HEAD = 1 << 16
"""Bytes of the file start kept for format details (a WebP's chunk list)."""

_heif_lock = threading.Lock()
_heif_registered = False

# Leading bytes of formats Pillow can recognise; used to tell "not an image" from "corrupt".
_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",  # WebP
)


@dataclass(frozen=True)
class PhotoInfo:
    """Facts read while decoding, used to suggest which duplicate to keep."""

    width: int
    height: int
    format: str
    camera: str
    taken_at: str
    quality: int = 0
    """JPEG quality (1-100) estimated from the quantisation tables; 0 when not a JPEG."""
    compression: str = ""
    """raw, lossless, from_jpeg, lossy or palette (media/compression.py): the keeper rule."""


@dataclass
class DecodedPhoto:
    """An upright RGB photo at (at least) the size the model needs, plus its facts."""

    image: Image.Image
    info: PhotoInfo


def register_heif() -> None:
    """Teach Pillow HEIC/HEIF once, lazily: pillow-heif is heavy to import."""
    global _heif_registered
    with _heif_lock:
        if _heif_registered:
            return
        try:
            import pillow_heif
        except ImportError:  # pragma: no cover - dependency of the package
            return
        pillow_heif.register_heif_opener()
        _heif_registered = True


def decode_photo(
    path: Path | str,
    min_size: int = 224,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    data: bytes | None = None,
    max_side: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> DecodedPhoto:
    """Decode ``path`` upright and RGB, at least ``min_size`` pixels on each side where possible.

    ``data``, when given, is the file's content already read (the scanner reads each file once
    for both its hash and its pixels); ``path`` is then only used in messages. With
    ``max_side`` the image is reduced (by a whole factor, box filter) until its longer side is
    at most about twice that, which keeps memory and time flat for huge images.

    Raises:
        DecodeError: with the reason (empty, not_an_image, corrupt, truncated, unsupported,
            too_large, unreadable, vanished).
    """
    path = Path(path)
    if is_raw_name(path):
        if data is None:
            _check_readable(path)
        image, raw = decode_raw(path, data, min_size, max_pixels)
        info = PhotoInfo(raw.width, raw.height, raw.format, raw.camera, raw.taken_at, 0, RAW)
        return DecodedPhoto(_to_rgb(_reduce(image, max_side)), info)
    register_heif()
    if data is None:
        _check_readable(path)
    elif not data:
        raise DecodeError(path, DecodeReason.EMPTY, "the file has 0 bytes")
    source: Path | io.BytesIO = path if data is None else io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below and report it as too_large.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                limits = _Limits(min_size, max_pixels, max_side, memory_budget)
                head = data[:_HEAD] if data is not None else _head(path, _HEAD)
                return _decode_open_image(path, image, limits, head)
    except DecodeError:
        raise
    except FileNotFoundError as exc:
        detail = "the file disappeared while reading"
        raise DecodeError(path, DecodeReason.VANISHED, detail) from exc
    except PermissionError as exc:
        raise DecodeError(path, DecodeReason.UNREADABLE, str(exc)) from exc
    except Image.DecompressionBombError as exc:
        raise DecodeError(path, DecodeReason.TOO_LARGE, str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise _unidentified(path, data) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _classify_failure(path, exc) from exc
    except MemoryError as exc:
        raise DecodeError(path, DecodeReason.TOO_LARGE, "not enough memory to decode") from exc
    except Exception as exc:  # a hostile file can make a codec raise anything: never a crash
        detail = f"the decoder failed ({type(exc).__name__}: {exc})"
        raise DecodeError(path, DecodeReason.CORRUPT, detail[:300]) from exc


@dataclass(frozen=True)
class _Limits:
    min_size: int
    max_pixels: int
    max_side: int | None
    memory_budget: int


_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "I;16": 2, "I;16B": 2, "I;16L": 2}


def _decode_open_image(
    path: Path, image: Image.Image, limits: _Limits, head: bytes
) -> DecodedPhoto:
    width, height = image.size
    if width * height > limits.max_pixels:
        raise DecodeError(
            path,
            DecodeReason.TOO_LARGE,
            f"{width}x{height} pixels is over the limit of {limits.max_pixels:,}",
        )
    info_format = image.format or "unknown"
    quality = jpeg_quality(image)
    if image.format == "JPEG":
        # DCT scaling: decode at 1/2, 1/4 or 1/8 size, never below what the model needs.
        image.draft("RGB", (limits.min_size, limits.min_size))
    _check_budget(path, image, limits.memory_budget)
    image.load()
    exif = image.getexif()  # after the budget check: for a PNG it decodes the whole image
    compression = compression_of(image, head)  # at full size: the JPEG grid is there
    image = _reduce(image, limits.max_side)
    upright = ImageOps.exif_transpose(image)
    rgb = _to_rgb(upright)
    if _orientation_swaps_axes(exif):
        width, height = height, width
    camera, taken = camera_of(exif), taken_at_of(exif)
    info = PhotoInfo(width, height, info_format, camera, taken, quality, compression)
    return DecodedPhoto(rgb, info)


# The IJG (libjpeg) standard luminance table at quality 50; other qualities scale it.
_IJG_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69,
    56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81,
    104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip


def _ijg_table_sum(quality: int) -> int:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return sum(min(255, max(1, (v * scale + 50) // 100)) for v in _IJG_LUMINANCE)


_IJG_SUMS = {q: _ijg_table_sum(q) for q in range(1, 101)}


def jpeg_quality(image: Image.Image) -> int:
    """The IJG quality whose luminance table is closest to the file's (0 if not a JPEG).

    Why: at equal pixels a camera original (quality ~90-98) is worth more than a copy saved
    again at 70; this tells them apart without decoding (the keeper rule, edit names).
    """
    tables = getattr(image, "quantization", None)
    if image.format != "JPEG" or not tables or 0 not in tables:
        return 0
    total = sum(tables[0])
    return min(_IJG_SUMS, key=lambda q: abs(_IJG_SUMS[q] - total))


def _check_budget(path: Path, image: Image.Image, budget: int) -> None:
    """Refuse a decode whose pixels alone would take more than ``budget`` bytes."""
    width, height = image.size
    needed = width * height * _BYTES_PER_PIXEL.get(image.mode, 4)  # the first frame only
    if needed > budget:
        raise DecodeError(
            path,
            DecodeReason.TOO_LARGE,
            f"{width}x{height} pixels would take {needed / 2**20:,.0f} MB to decode, over the"
            f" {budget / 2**20:,.0f} MB budget",
        )


def _reduce(image: Image.Image, max_side: int | None) -> Image.Image:
    """Shrink by a whole factor in the image's own mode (cheap), keeping >= ``max_side``."""
    if max_side is None:
        return image
    factor = max(image.size) // max_side
    if factor < 2:
        return image
    if image.mode == "1":
        image = image.convert("L")
    if image.mode in ("P", "PA"):
        size = (max(1, image.width // factor), max(1, image.height // factor))
        return image.resize(size, Image.Resampling.NEAREST)
    try:
        return image.reduce(factor)
    except ValueError:  # a mode reduce() does not support
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with transparency composited on white so a logo PNG does not turn black."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits instead of clipping to white.
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _check_readable(path: Path) -> None:
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise DecodeError(path, DecodeReason.VANISHED, "the file no longer exists") from exc
    except PermissionError as exc:
        raise DecodeError(path, DecodeReason.UNREADABLE, str(exc)) from exc
    except OSError as exc:
        raise DecodeError(path, DecodeReason.UNREADABLE, str(exc)) from exc
    if stat.st_size == 0:
        raise DecodeError(path, DecodeReason.EMPTY, "the file has 0 bytes")
    if not os.access(path, os.R_OK):
        raise DecodeError(path, DecodeReason.UNREADABLE, "permission denied")


def _head(path: Path, size: int = 16) -> bytes:
    """The first ``size`` bytes of the file ("" when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _looks_like_image(head: bytes) -> bool:
    if any(head.startswith(magic) for magic in _MAGIC):
        return True
    return head[4:8] == b"ftyp"  # HEIF / AVIF family


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def _unidentified(path: Path, data: bytes | None) -> DecodeError:
    head = data[:16] if data is not None else _head(path)
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS and _heif_registered:
            return DecodeError(path, DecodeReason.CORRUPT, "the HEIF data is damaged")
        detail = "a HEIF-family file this build cannot read"
        return DecodeError(path, DecodeReason.UNSUPPORTED, detail)
    if _looks_like_image(head):
        return DecodeError(path, DecodeReason.CORRUPT, "the image header is damaged")
    return DecodeError(path, DecodeReason.NOT_AN_IMAGE, "the content is not an image format")


def _classify_failure(path: Path, exc: BaseException) -> DecodeError:
    text = str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return DecodeError(path, DecodeReason.UNREADABLE, text)
    if isinstance(exc, OSError) and exc.errno == errno.EIO:
        return DecodeError(path, DecodeReason.UNREADABLE, f"input/output error: {text}")
    lowered = text.lower()
    if "truncated" in lowered or isinstance(exc, EOFError) or "premature end" in lowered:
        return DecodeError(path, DecodeReason.TRUNCATED, "the file ends before the image does")
    if "decoder" in lowered and "not available" in lowered:
        return DecodeError(path, DecodeReason.UNSUPPORTED, text)
    return DecodeError(path, DecodeReason.CORRUPT, text or type(exc).__name__)


def _orientation_swaps_axes(exif: Image.Exif) -> bool:
    return exif.get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
