"""Pixel evidence for a candidate pair: how well two pictures agree once aligned.

Two measurements, cheapest first:
- ``thumb_agreement``: the stored 32x32 grey thumbnails, the second one turned back by the
  dihedral variant its signature matched in, compared block by block (a resize, recompression,
  blur, brightness or greyscale copy agrees everywhere; a different picture with a similar
  low-frequency layout, such as two aircraft against a plain sky, does not);
- ``local_alignment`` + ``overlap_agreement``: ORB keypoints (OpenCV) on decodes of at most
  1024 px, matches filtered by the ratio test and a RANSAC similarity transform (mirrored
  descriptors too), then the aligned overlap compared block by block. This tells a crop,
  tilt, letterbox, border or overlay of one photo (agrees pixel for pixel where both have
  pixels, an overlay spoiling only a few blocks) from another shot of the scene (parallax and
  light change leave many blocks disagreeing).

Only measurements live here; verify.py turns them into verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THUMB_BLOCK = 8
"""Thumbnail blocks are 8x8 pixels: a 4x4 grid over the 32x32 thumbnail."""
TEXTURED_STD = 3.0
"""A block with less grey-level spread than this says nothing about alignment."""
ORB_FEATURES = 1500
MAX_SIDE = 1024
RATIO = 0.8
"""Lowe's ratio test on the two nearest descriptors."""
OVERLAP_BLOCK = 24
"""Overlap blocks are 24x24 pixels of the (at most 1024 px) decode."""


@dataclass(frozen=True)
class ThumbScore:
    ncc: float
    """Normalised cross-correlation of the whole thumbnails (-1..1)."""
    blocks: float
    """Share of the textured blocks whose own correlation is at least 0.5."""
    textured: int
    """How many of the 16 blocks have texture in both pictures."""
    mean_shift: float
    """Difference of mean grey level (a brightness change shows here)."""


def thumb_agreement(a: np.ndarray, b: np.ndarray) -> ThumbScore:
    """Compare two 32x32 grey thumbnails (``b`` already turned like ``a``)."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    ncc = _ncc(fa, fb)
    grid = fa.shape[0] // THUMB_BLOCK
    good = textured = 0
    for y in range(grid):
        for x in range(grid):
            ba = fa[
                y * THUMB_BLOCK : (y + 1) * THUMB_BLOCK, x * THUMB_BLOCK : (x + 1) * THUMB_BLOCK
            ]
            bb = fb[
                y * THUMB_BLOCK : (y + 1) * THUMB_BLOCK, x * THUMB_BLOCK : (x + 1) * THUMB_BLOCK
            ]
            if ba.std() < TEXTURED_STD or bb.std() < TEXTURED_STD:
                continue
            textured += 1
            good += _ncc(ba, bb) >= 0.5
    blocks = good / textured if textured else 0.0
    return ThumbScore(ncc, blocks, textured, abs(float(fa.mean() - fb.mean())))


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 1e-6 else 0.0


@dataclass(frozen=True)
class LocalFeatures:
    """ORB keypoints of one picture, and of its mirror image, on a grey decode."""

    grey: np.ndarray
    points: np.ndarray
    descriptors: np.ndarray | None
    mirrored_points: np.ndarray
    """Keypoints of the mirror image, in the mirror image's own coordinates."""
    mirrored_descriptors: np.ndarray | None


def local_features(grey: np.ndarray) -> LocalFeatures:
    """Keypoints of a grey picture (uint8, at most 1024 px on its longer side)."""
    import cv2

    orb = cv2.ORB_create(nfeatures=ORB_FEATURES)  # type: ignore[attr-defined]
    points, descriptors = _detect(orb, grey)
    m_points, m_descriptors = _detect(orb, np.ascontiguousarray(grey[:, ::-1]))
    return LocalFeatures(grey, points, descriptors, m_points, m_descriptors)


def _detect(orb: object, grey: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    keypoints, descriptors = orb.detectAndCompute(grey, None)  # type: ignore[attr-defined]
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    return points, descriptors


@dataclass(frozen=True)
class Alignment:
    """A similarity transform that maps the second picture onto the first."""

    matrix: np.ndarray
    """2x3, second picture's pixel (of its mirror image when ``mirrored``) -> first's."""
    mirrored: bool
    inliers: int
    matches: int

    @property
    def scale(self) -> float:
        return float(np.hypot(self.matrix[0, 0], self.matrix[1, 0]))

    @property
    def angle(self) -> float:
        """Rotation in degrees, counter-clockwise as seen on screen (y points down)."""
        return float(-np.degrees(np.arctan2(self.matrix[1, 0], self.matrix[0, 0])))


def local_alignment(a: LocalFeatures, b: LocalFeatures) -> Alignment | None:
    """The best similarity transform from ``b`` onto ``a`` (plain or mirrored), if any."""
    plain = _fit(a.points, a.descriptors, b.points, b.descriptors, False)
    if plain is not None and plain.inliers >= 0.25 * max(1, plain.matches):
        return plain  # a clear plain match: the mirrored one cannot beat it
    mirrored = _fit(a.points, a.descriptors, b.mirrored_points, b.mirrored_descriptors, True)
    candidates = [found for found in (plain, mirrored) if found is not None]
    return max(candidates, key=lambda found: found.inliers, default=None)


def _fit(
    a_points: np.ndarray,
    a_desc: np.ndarray | None,
    b_points: np.ndarray,
    b_desc: np.ndarray | None,
    mirrored: bool,
) -> Alignment | None:
    import cv2

    if a_desc is None or b_desc is None or len(a_desc) < 2 or len(b_desc) < 2:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    good = [
        pair[0]
        for pair in matcher.knnMatch(b_desc, a_desc, k=2)
        if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance
    ]
    if len(good) < 6:
        return None
    source = np.array([b_points[m.queryIdx] for m in good], dtype=np.float32)
    target = np.array([a_points[m.trainIdx] for m in good], dtype=np.float32)
    matrix, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=3.0, maxIters=2000
    )
    if matrix is None or inliers is None:
        return None
    return Alignment(matrix, mirrored, int(inliers.sum()), len(good))


@dataclass(frozen=True)
class OverlapScore:
    coverage_first: float
    """Share of the first picture that the aligned second one covers."""
    coverage_second: float
    """Share of the second picture that lands inside the first."""
    blocks: float
    """Share of the textured overlap blocks that agree (correlation >= 0.6)."""
    textured: int
    median_ncc: float
    close: float = 0.0
    """Share of the textured blocks that agree closely (correlation >= 0.8): another shot a
    step away matches loosely almost everywhere, an edited copy matches closely."""


@dataclass(frozen=True)
class Overlay:
    """The second picture of a pair warped onto the first by an alignment."""

    first: np.ndarray
    warped: np.ndarray
    """The second picture in the first's pixels (0 outside it)."""
    valid: np.ndarray
    """Where ``warped`` holds the second picture's pixels (eroded off its edges)."""
    second_area: float
    """The second picture's area in the first's pixels."""


def overlay(a: np.ndarray, b: np.ndarray, alignment: Alignment) -> Overlay:
    """Warp ``b`` onto ``a`` (mirrored first when the alignment says so)."""
    import cv2

    source = np.ascontiguousarray(b[:, ::-1]) if alignment.mirrored else b
    height, width = a.shape
    warped = cv2.warpAffine(source, alignment.matrix, (width, height), flags=cv2.INTER_LINEAR)
    ones = cv2.warpAffine(np.full(source.shape, 255, np.uint8), alignment.matrix, (width, height))
    valid = cv2.erode(ones, np.ones((5, 5), np.uint8)) > 0
    return Overlay(a, warped, valid, b.shape[0] * b.shape[1] * alignment.scale**2)


def overlap_agreement(layers: Overlay) -> OverlapScore:
    """Compare the pixels where both pictures exist, block by block."""
    a, warped, valid = layers.first, layers.warped, layers.valid
    height, width = a.shape
    coverage_first = float(valid.mean())
    # A degenerate alignment (scale 0) shrinks the second picture to nothing: no coverage.
    area_second = layers.second_area
    coverage_second = float(valid.sum() / area_second) if area_second > 1e-9 else 0.0
    step = max(8, min(OVERLAP_BLOCK, min(height, width) // 20))  # finer on small pictures
    rows, cols = height // step, width // step
    crop = (slice(0, rows * step), slice(0, cols * step))

    def blocks_of(image: np.ndarray) -> np.ndarray:
        tiles = image[crop].reshape(rows, step, cols, step).transpose(0, 2, 1, 3)
        return tiles.reshape(rows * cols, step * step).astype(np.float32)

    fa, fw = blocks_of(a), blocks_of(warped)
    inside = blocks_of(valid.astype(np.uint8)).min(axis=1) > 0
    usable = inside & (fa.std(axis=1) >= 2 * TEXTURED_STD)
    if not usable.any():
        return OverlapScore(coverage_first, min(1.0, coverage_second), 0.0, 0, 0.0, 0.0)
    values = ncc_rows(fa[usable], fw[usable])
    return OverlapScore(
        coverage_first,
        min(1.0, coverage_second),
        float((values >= 0.6).mean()),
        len(values),
        float(np.median(values)),
        float((values >= 0.8).mean()),
    )


def thumb_agreement_batch(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`thumb_agreement` for many pairs at once: (P,32,32) and (P,32,32) uint8 ->
    (whole-thumbnail correlation, share of agreeing textured blocks), each (P,)."""
    fa = a.astype(np.float32)
    fb = b.astype(np.float32)
    ncc = ncc_rows(fa.reshape(len(fa), -1), fb.reshape(len(fb), -1))
    grid = fa.shape[1] // THUMB_BLOCK
    shape = (len(fa), grid, THUMB_BLOCK, grid, THUMB_BLOCK)
    ba = fa.reshape(shape).transpose(0, 1, 3, 2, 4).reshape(len(fa), grid * grid, -1)
    bb = fb.reshape(shape).transpose(0, 1, 3, 2, 4).reshape(len(fb), grid * grid, -1)
    textured = (ba.std(axis=2) >= TEXTURED_STD) & (bb.std(axis=2) >= TEXTURED_STD)
    block_ncc = ncc_rows(ba.reshape(-1, ba.shape[2]), bb.reshape(-1, bb.shape[2])).reshape(
        len(fa), -1
    )
    good = ((block_ncc >= 0.5) & textured).sum(axis=1)
    count = textured.sum(axis=1)
    blocks = np.where(count > 0, good / np.maximum(count, 1), 0.0)
    return ncc, blocks


def ncc_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.where(denominator > 1e-6, (a * b).sum(axis=1) / np.maximum(denominator, 1e-6), 0.0)


CONFIRM_SIDE = 256
"""Global matches are confirmed on decodes of at most this size (a thumbnail cannot tell a
slightly zoomed second shot from a resized copy; 256 px can)."""


@dataclass(frozen=True)
class FrameScore:
    blocks: float
    """Share of the textured blocks that agree (correlation >= 0.6)."""
    median_ncc: float
    textured: int


def frame_agreement(a: np.ndarray, b: np.ndarray) -> FrameScore:
    """Two grey pictures of one frame (``b`` already turned like ``a``), compared block by
    block at the smaller one's size: a resize or a recompression agrees everywhere, another
    shot a step closer or further does not."""
    from PIL import Image

    first, second = Image.fromarray(a), Image.fromarray(b)
    size = min(first.size, second.size, key=lambda s: s[0] * s[1])
    fa = np.asarray(first.resize(size, Image.Resampling.BOX), dtype=np.float32)
    fb = np.asarray(second.resize(size, Image.Resampling.BOX), dtype=np.float32)
    step = max(4, min(16, min(size) // 8))
    scores = []
    for y in range(0, size[1] - step + 1, step):
        for x in range(0, size[0] - step + 1, step):
            block_a, block_b = fa[y : y + step, x : x + step], fb[y : y + step, x : x + step]
            if block_a.std() < 2 * TEXTURED_STD:
                continue
            scores.append(_ncc(block_a, block_b))
    if not scores:
        return FrameScore(0.0, 0.0, 0)
    values = np.array(scores)
    return FrameScore(float((values >= 0.6).mean()), float(np.median(values)), len(values))
