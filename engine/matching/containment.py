"""Does one picture of an aligned pair hold all the other's content? An edit never adds any.

An edited copy is made from its original's pixels: a crop or a tilt shows part of them, a
letterbox, border or black-filled tilt adds uniform fill around them, a watermark or a
caption is drawn inside them. So once the pair is aligned, one of the two pictures lies
inside the other but for flat fill. Two photographs of one thing taken from different places
(a burst while panning, the same framed picture shot twice) each show real, textured content
the other lacks beyond its frame: neither holds the other.

This measures, for each picture, the share of its area that is textured and lies outside the
other's frame (with a margin for the alignment's error at the edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pixels import TEXTURED_STD, Alignment

WINDOW = 9
"""Texture is the grey-level spread over 9x9 pixels of the (at most 1024 px) decodes."""
MARGIN = 0.01
"""Pixels within this share of the longer side of the other's frame count as inside it (the
alignment is off by a pixel or two at the edges, and JPEG rings along a fill's edge)."""


@dataclass(frozen=True)
class Exclusive:
    """Share of each picture's area that is textured and outside the other's frame."""

    first_only: float
    second_only: float

    @property
    def least(self) -> float:
        """What the picture nearer to being inside the other shows beyond it (an edit: ~0)."""
        return min(self.first_only, self.second_only)


def exclusive_content(first: np.ndarray, second: np.ndarray, alignment: Alignment) -> Exclusive:
    """Textured content beyond the other's frame, for both grey pictures of an alignment
    (``alignment`` maps ``second``, mirrored when it says so, onto ``first``)."""
    import cv2

    source = np.ascontiguousarray(second[:, ::-1]) if alignment.mirrored else second
    inverse = cv2.invertAffineTransform(alignment.matrix)
    second_in_first = _footprint(source.shape, alignment.matrix, first.shape)
    first_in_second = _footprint(first.shape, inverse, source.shape)
    return Exclusive(
        _textured_outside(first, second_in_first), _textured_outside(source, first_in_second)
    )


def _footprint(shape: tuple[int, ...], matrix: np.ndarray, target: tuple[int, ...]) -> np.ndarray:
    """Where a picture of ``shape`` lands in a picture of ``target`` shape, widened by the
    margin."""
    import cv2

    height, width = target[:2]
    ones = np.full(shape[:2], 255, np.uint8)
    landed = cv2.warpAffine(ones, matrix, (width, height), flags=cv2.INTER_NEAREST)
    reach = max(1, round(MARGIN * max(height, width)))
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    return cv2.dilate(landed, kernel) > 0


def _textured_outside(image: np.ndarray, covered: np.ndarray) -> float:
    """Share of ``image``'s pixels that are textured and outside ``covered``."""
    import cv2

    values = image.astype(np.float32)
    mean = cv2.blur(values, (WINDOW, WINDOW))
    spread = cv2.blur(values * values, (WINDOW, WINDOW)) - mean * mean
    textured = spread >= (2 * TEXTURED_STD) ** 2
    return float((textured & ~covered).mean())
