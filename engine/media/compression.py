"""How much a file's pixels may have lost: raw, lossless, lossless-but-from-a-JPEG, lossy.

The keeper rule (issue 12) prefers the least lossy copy at equal pixels, and a PNG saved
from a JPEG holds no more than that JPEG. Such a PNG is told apart by the JPEG's fingerprint
left in its pixels: in the 8x8 blocks of the JPEG grid, the discrete cosine coefficients of
a decoded JPEG sit on whole multiples of the quantisation step (only rounding to 8-bit
pixels blurs them), while a genuine photo's coefficients fall anywhere. Measured on the 24
Kodak photos: at most 0.13 for the genuine PNGs, at least 0.46 for PNGs made from JPEGs of
quality 95 or lower (quality 98 and up leaves no trace, and loses next to nothing).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

RAW = "raw"
LOSSLESS = "lossless"
FROM_JPEG = "from_jpeg"
"""A lossless file whose pixels were decoded from a JPEG (a conversion)."""
LOSSY = "lossy"
PALETTE = "palette"
"""256 colours or fewer (GIF, palette PNG): a photo saved this way lost colours."""

JPEG_TRACE_THRESHOLD = 0.35
"""Between the genuine photos' 0.13 and the converted JPEGs' 0.46 (module docstring)."""

_LOSSLESS_TIFF = {"raw", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits", None}
_BLOCK = 8
_DCT = np.array(
    [
        [
            math.sqrt((1 if k == 0 else 2) / _BLOCK) * math.cos(math.pi * (2 * n + 1) * k / 16)
            for n in range(_BLOCK)
        ]
        for k in range(_BLOCK)
    ]
)
# The lowest frequencies: the JPEG steps there are small, and the coefficients are large.
_POSITIONS = ((0, 0), (0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (2, 1), (1, 2))
_STEPS = range(2, 17)
_MIN_SAMPLES = 500


def compression_of(image: Image.Image, head: bytes) -> str:
    """The compression class of an opened, loaded image (before any reduction).

    ``head`` is the start of the file (a WebP says in its chunks whether it is lossless).
    """
    fmt = image.format or ""
    if fmt == "JPEG" or fmt in ("HEIF", "AVIF", "MPO"):
        return LOSSY
    if fmt == "GIF" or image.mode in ("P", "PA", "1"):
        return PALETTE
    if fmt == "WEBP" and not webp_is_lossless(head):
        return LOSSY
    if fmt == "TIFF" and image.info.get("compression") not in _LOSSLESS_TIFF:
        return LOSSY
    if fmt in ("PNG", "TIFF", "BMP", "WEBP", "PPM", "TGA"):
        return FROM_JPEG if jpeg_trace(image) >= JPEG_TRACE_THRESHOLD else LOSSLESS
    return LOSSY


def webp_is_lossless(head: bytes) -> bool:
    """Whether a WebP file's image chunk is VP8L (lossless) rather than VP8 (lossy)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return False
    at = 12
    while at + 8 <= len(head):
        kind, size = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
        if kind in (b"VP8L", b"VP8 "):
            return kind == b"VP8L"
        at += 8 + size + (size & 1)
    return False


def jpeg_trace(image: Image.Image, side: int = 1024) -> float:
    """How strongly the image's 8x8 DCT coefficients sit on a quantisation grid (0-1).

    Looks at the top-left ``side`` x ``side`` pixels, on the grid a JPEG of this size used.
    """
    luma = np.asarray(image.convert("L"), dtype=np.float64)[:side, :side]
    h, w = (luma.shape[0] // _BLOCK) * _BLOCK, (luma.shape[1] // _BLOCK) * _BLOCK
    if h < _BLOCK * 4 or w < _BLOCK * 4:
        return 0.0
    blocks = (luma[:h, :w] - 128).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3)
    coefficients = np.einsum("ij,abjk,lk->abil", _DCT, blocks, _DCT).reshape(-1, 8, 8)
    best = 0.0
    for u, v in _POSITIONS:
        values = coefficients[:, u, v]
        for step in _STEPS:
            # Coefficients near 0 sit on every grid (flat areas): only larger ones tell;
            # from half a step up, so the window holds whole periods and is not biased.
            chosen = values[np.abs(values) > step / 2]
            if len(chosen) < _MIN_SAMPLES:
                continue
            best = max(best, float(np.cos(2 * np.pi * chosen / step).mean()))
    return best
