"""A pixel-structure signature that tells "the same photo" from "the same scene".

Learned codes are semantic: two shots of one object a second apart get codes as close as a
photo and its recompressed copy. So duplicate candidates found by code are verified against
the low-frequency structure of the pixels themselves: the 8x8 lowest DCT coefficients of a
32x32 grey thumbnail (as in a perceptual hash), compared as median-thresholded bits.

The coefficients are kept (64 float16, 128 bytes a photo), not the bits: the DCT of a
mirrored or quarter-turned image is the same block with signs flipped or axes swapped, so a
mirrored or rotated copy is verified without decoding it again.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SIZE = 32
BLOCK = 8


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix.astype(np.float32)


_DCT = _dct_matrix(SIZE)[:BLOCK]
# Sign patterns: flipping an image left-right negates odd horizontal frequencies, and so on.
_ODD = np.where(np.arange(BLOCK) % 2 == 1, -1.0, 1.0).astype(np.float32)


def thumbnail(image: Image.Image) -> np.ndarray:
    """The 32x32 grey thumbnail (uint8) the signature is computed from; stored per content so
    a candidate pair's pixels can be compared without decoding either file again."""
    grey = image.convert("L").resize((SIZE, SIZE), Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.uint8)


def signature(image: Image.Image) -> np.ndarray:
    """The 8x8 low-frequency DCT block of ``image`` (any mode), as float16."""
    return signature_of(thumbnail(image))


def signature_of(thumb: np.ndarray) -> np.ndarray:
    """The signature block of a stored 32x32 thumbnail."""
    pixels = np.asarray(thumb, dtype=np.float32)
    return (_DCT @ pixels @ _DCT.T).astype(np.float16)


def saturation(image: Image.Image) -> float:
    """Mean colour saturation (0 for a greyscale picture, up to 1): names "greyscale" edits."""
    small = image.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BOX).convert("HSV")
    return float(np.asarray(small, dtype=np.float32)[..., 1].mean() / 255.0)


DIHEDRAL = (
    "",
    "mirrored",
    "flipped upside down",
    "rotated 180°",
    "mirrored and turned",
    "rotated 90° counter-clockwise",
    "rotated 90° clockwise",
    "mirrored and turned",
)
"""What each of :func:`variants` is, as an edit of the original (index = variant)."""
UNDO_DIHEDRAL = (
    None,
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.ROTATE_180,
    Image.Transpose.TRANSPOSE,
    Image.Transpose.ROTATE_270,
    Image.Transpose.ROTATE_90,
    Image.Transpose.TRANSVERSE,
)
"""The PIL transpose that turns variant ``v`` of a photo back into the photo."""


def thumbnail_blob(thumb: np.ndarray) -> bytes:
    return np.asarray(thumb, dtype=np.uint8).tobytes()


def thumbnail_from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.uint8).reshape(SIZE, SIZE)


def to_blob(block: np.ndarray) -> bytes:
    return np.asarray(block, dtype="<f2").tobytes()


def from_blobs(blobs: list[bytes]) -> np.ndarray:
    """(N, 8, 8) float32 blocks from stored blobs."""
    if not blobs:
        return np.zeros((0, BLOCK, BLOCK), dtype=np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype="<f2").astype(np.float32)
    return raw.reshape(len(blobs), BLOCK, BLOCK)


def bits(blocks: np.ndarray) -> np.ndarray:
    """Perceptual-hash bits: each coefficient against the block's median (DC excluded)."""
    flat = blocks.reshape(blocks.shape[0], -1)
    middle = (flat.shape[1] - 1) // 2  # 63 coefficients: the median is one of them
    median = np.partition(flat[:, 1:], middle, axis=1)[:, middle : middle + 1]
    return flat > median


def variant_bits(blocks: np.ndarray) -> list[np.ndarray]:
    """``bits`` of each of the 8 :func:`variants`, (N, 64) bool each. A transposed block holds
    the same coefficients, so its median and bits are the untransposed one's, transposed:
    four medians, not eight (the costly part at a million photos)."""
    flips = [bits(block) for block in _flips(blocks)]
    n = blocks.shape[0]
    turned = [
        f.reshape(n, BLOCK, BLOCK).transpose(0, 2, 1).reshape(n, BLOCK * BLOCK) for f in flips
    ]
    return flips + turned


def variants(blocks: np.ndarray) -> list[np.ndarray]:
    """The blocks of the 8 mirror/quarter-turn versions of each image, without decoding."""
    flips = _flips(blocks)
    # The same, transposed: transpose, rotate 90 counter-clockwise, clockwise, transverse.
    return flips + [b.transpose(0, 2, 1) for b in flips]


def _flips(blocks: np.ndarray) -> list[np.ndarray]:
    """The first four :func:`variants`: the block, mirrored, upside down, half-turned."""
    return [
        blocks,
        blocks * _ODD[None, None, :],  # mirrored left-right
        blocks * _ODD[None, :, None],  # upside down
        blocks * (_ODD[:, None] * _ODD[None, :])[None],  # half turn
    ]


def distances(left: np.ndarray, right: np.ndarray, dihedral: bool = True) -> np.ndarray:
    """Bit distance between paired blocks; with ``dihedral``, the least over the 8 versions
    of ``right`` (so a mirrored or turned copy matches its original)."""
    best = np.full(left.shape[0], BLOCK * BLOCK, dtype=np.int64)
    if left.shape[0] == 0:
        return best
    base = bits(left)
    options = variant_bits(right) if dihedral else [bits(right)]
    for option in options:
        best = np.minimum(best, (base != option).sum(axis=1))
    return best


def content_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The picture inside uniform bars or a frame (letterbox, border), as a crop box of
    ``image``, or None when nothing uniform surrounds it. The signature of that inside
    finds a letterboxed or framed copy of a photo, whose own signature does not."""
    grey = image.convert("L")
    scale = max(grey.size) / 256
    small = grey.resize((max(1, round(grey.width / scale)), max(1, round(grey.height / scale))))
    pixels = np.asarray(small, dtype=np.float32)
    top = _uniform_run(pixels)
    bottom = _uniform_run(pixels[::-1])
    left = _uniform_run(pixels.T)
    right = _uniform_run(pixels.T[::-1])
    h, w = pixels.shape
    inner = (w - left - right) * (h - top - bottom)
    if inner <= 0 or inner > 0.97 * w * h:
        return None
    return (
        round(left * scale),
        round(top * scale),
        round((w - right) * scale),
        round((h - bottom) * scale),
    )


def _uniform_run(rows: np.ndarray) -> int:
    """How many leading rows are one flat colour (at most 40 % of the picture)."""
    edge = float(rows[0].mean())
    limit = int(rows.shape[0] * 0.4)
    count = 0
    while count < limit:
        row = rows[count]
        if row.std() > 4.0 or abs(float(row.mean()) - edge) > 10.0:
            break
        count += 1
    return count
