"""Is the aligned overlap free of parallax? The last check of the geometric step.

A crop, tilt, letterbox, border or overlay is a similarity transform of the same pixels:
once the second picture is warped onto the first, every patch of it sits exactly where it
should, to a fraction of a pixel. A second photograph of the same thing, even of a flat
picture on a wall, was taken from another place: perspective and parallax leave patches
displaced by different amounts, which no single similarity removes. The block correlations
of pixels.overlap_agreement cannot see that (a tile photographed twice agrees at a median
of 0.95), so this measures the displacement itself.

Each textured block of the overlap is located by phase correlation (OpenCV), a similarity
is fitted to the block displacements robustly (least median of squares, so a watermark or
a repeated pattern does not pull it), and what that fit leaves is the residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pixels import TEXTURED_STD, Overlay, ncc_rows

SHIFT_BLOCK = 32
"""Blocks located by phase correlation are 32x32 pixels of the (at most 1024 px) decode."""
MAX_BLOCKS = 400
"""At most this many blocks, spread evenly over the overlap (about 30 ms a pair)."""
MIN_RESPONSE = 0.2
"""Phase correlation peaks weaker than this locate nothing (flat or noisy blocks)."""
MIN_BLOCK_NCC = 0.6
"""Blocks that disagree (something drawn on top) are left out of the fit."""


@dataclass(frozen=True)
class ShiftScore:
    residual: float
    """Median displacement (px) left once one similarity is fitted to all the blocks."""
    blocks: int
    """How many blocks were located (the residual means little below about 8)."""


def residual_shift(layers: Overlay) -> ShiftScore:
    """How far the overlap's blocks sit from where one similarity puts them."""
    import cv2

    centres, first, second = _blocks(layers)
    if len(centres) < 4:
        return ShiftScore(0.0, len(centres))
    window = cv2.createHanningWindow((SHIFT_BLOCK, SHIFT_BLOCK), cv2.CV_32F)
    located, targets = [], []
    for centre, block_a, block_b in zip(centres, first, second, strict=True):
        (dx, dy), response = cv2.phaseCorrelate(block_a, block_b, window)
        if response < MIN_RESPONSE or np.hypot(dx, dy) > SHIFT_BLOCK / 4:
            continue
        located.append(centre)
        targets.append((centre[0] + dx, centre[1] + dy))
    if len(located) < 4:
        return ShiftScore(0.0, len(located))
    source = np.asarray(located, np.float32)
    target = np.asarray(targets, np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(source, target, method=cv2.LMEDS)
    if matrix is None:
        return ShiftScore(float("inf"), len(located))
    fitted = source @ matrix[:, :2].T + matrix[:, 2]
    return ShiftScore(float(np.median(np.hypot(*(fitted - target).T))), len(located))


def _blocks(layers: Overlay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres and float pixels of the textured, agreeing blocks inside the overlap."""
    step = SHIFT_BLOCK
    height, width = layers.first.shape
    rows, cols = height // step, width // step
    crop = (slice(0, rows * step), slice(0, cols * step))

    def tiles(image: np.ndarray) -> np.ndarray:
        cut = image[crop].reshape(rows, step, cols, step).transpose(0, 2, 1, 3)
        return cut.reshape(rows * cols, step, step).astype(np.float32)

    first, second = tiles(layers.first), tiles(layers.warped)
    inside = tiles(layers.valid.astype(np.uint8)).reshape(rows * cols, -1).min(axis=1) > 0
    flat_a = first.reshape(len(first), -1)
    flat_b = second.reshape(len(second), -1)
    textured = (flat_a.std(axis=1) >= 2 * TEXTURED_STD) & (flat_b.std(axis=1) >= 2 * TEXTURED_STD)
    keep = np.flatnonzero(inside & textured)
    if len(keep):
        keep = keep[ncc_rows(flat_a[keep], flat_b[keep]) >= MIN_BLOCK_NCC]
    if len(keep) > MAX_BLOCKS:
        keep = keep[np.linspace(0, len(keep) - 1, MAX_BLOCKS).astype(int)]
    ys, xs = np.divmod(keep, cols)
    centres = np.stack([xs * step + step / 2, ys * step + step / 2], axis=1)
    return centres, first[keep], second[keep]
