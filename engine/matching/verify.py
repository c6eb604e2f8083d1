"""The verification ladder: is a candidate pair the same photo, an edited copy, or neither?

1. **Global**: the pair's pixel-structure signatures agree within
   ``SIGNATURE_CANDIDATE_RADIUS`` bits in some dihedral variant; the stored 32x32 grey
   thumbnails, the second turned back by that variant, agree as wholes and block by block
   (pixels.thumb_agreement, microseconds, no decoding); then decodes of at most 256 px agree
   block by block (pixels.frame_agreement: a thumbnail cannot tell a second shot taken a
   step closer from a resized copy). That confirms resizes, recompressions, conversions,
   blur, noise, brightness, contrast and colour changes, mirrors and quarter turns.
2. **Geometric** (tens of milliseconds, pairs that fail 1): ORB keypoints, a RANSAC similarity
   transform, and the aligned overlap compared block by block (pixels.local_alignment,
   pixels.overlap_agreement); then the overlap's blocks located one by one, which must sit
   where one similarity puts them (parallax.residual_shift: a second photograph of a flat
   picture agrees in its pixels but not in its geometry); and last, one picture must lie
   inside the other but for flat fill (containment.exclusive_content: an edit adds no
   content; a second shot from another place, or another crop of the same photo, shows
   some beyond the other's frame). That confirms crops, tilts, letterboxes, borders,
   watermarks and captions, and rejects other shots of the same scene. A pair that fails
   only the last rule is two parts of one picture (``SIBLINGS``): each is then compared
   with the other's group (duplicates.py).
   Its verdicts are cached in the library under ``VERIFIER``.

Thresholds were chosen on the calibration half of the edited real photos and reported on the
other half (``python -m twinlens.training.calibration.duplicates``, docs/calibration.md).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Generic, TypeVar

import numpy as np
from PIL import Image

from twinlens.engine.media.signature import DIHEDRAL, UNDO_DIHEDRAL
from twinlens.engine.tiers import TIER_EDITED_COPY, TIER_SAME_PHOTO

from .containment import exclusive_content
from .parallax import residual_shift
from .pixels import (
    CONFIRM_SIDE,
    MAX_SIDE,
    LocalFeatures,
    frame_agreement,
    local_alignment,
    local_features,
    overlap_agreement,
    overlay,
    thumb_agreement_batch,
)

VERIFIER = "pixels-5"
"""Identity of this ladder and its thresholds: cached verdicts of another are never read."""

SIGNATURE_CANDIDATE_RADIUS = 8
"""Signature bits within which a pair is a candidate (light edits: 95 % within 6)."""
SIGNATURE_SEARCH_RADIUS = 7
"""Signature bits the all-pairs search of every dihedral variant covers: multi-index hashing
guarantees 7 with four 16-bit chunks probed at one flip each, about a fifth of the work of
8 on a library of 60,000 photos (hamming.search_work). Every light edit of the calibration
half lies within 6 bits; pairs another source proposes are still checked up to
``SIGNATURE_CANDIDATE_RADIUS``."""
SIGNATURE_SAME_PHOTO = 4
"""A global match this close, with no colour or tone change, is the same photo."""
THUMB_NCC = 0.94
"""Whole-thumbnail correlation a global match needs (other shots of one object: <= 0.82)."""
THUMB_BLOCKS = 0.9
"""Share of textured thumbnail blocks that must agree."""
FRAME_BLOCKS = 0.8
"""Share of 256 px blocks that must agree (light edits: >= 0.85; a step-closer shot: 0.30)."""
MIN_INLIERS = 25
"""RANSAC inliers a geometric match needs (crops to 50 %: >= 45)."""
OVERLAP_BLOCKS = 0.88
"""Share of the aligned overlap's textured blocks that must agree (another shot: <= 0.81)."""
OVERLAP_MEDIAN = 0.90
"""Median block correlation of the aligned overlap."""
OVERLAP_CLOSE = 0.86
"""Share of overlap blocks that must agree closely (edited copies: >= 0.87 bar captions;
the closest other shot: 0.84)."""
MIN_OVERLAP = 0.35
"""The copy must cover at least this share of the original (crops to 50 %: 0.49)."""
MAX_PARALLAX = 0.45
"""Median displacement (px at 1024 px) the aligned overlap's blocks may keep after one
similarity (parallax.residual_shift): 30 % above the largest of a true edit on the
calibration half (0.35, a letterbox against a JPEG quality 10 copy; median 0.15), where
another shot of an object keeps 0.25 to 0.8."""
MAX_EXCLUSIVE = 0.01
"""Share of its area the picture nearer to being inside the other may show beyond the
other's frame as textured content (containment.exclusive_content). An edit adds only flat
fill: 0.000 for every true edit checked against its original on the calibration half; two
shots of one thing from different places each show content the other lacks (951 of the
2,957 other shots that align there show more than 0.02)."""
MIN_GEOMETRY_SIDE = 96
"""Pictures smaller than this on their shorter side hold too few keypoints to align."""


@dataclass(frozen=True)
class Change:
    """What the second picture of a verified pair is, as an edit of the first."""

    variant: int = 0
    """Dihedral variant (signature.DIHEDRAL) of a global match."""
    angle: float = 0.0
    mirrored: bool = False
    covers: float = 1.0
    """Share of the first picture the second one shows (a crop shows less)."""
    covered: float = 1.0
    """Share of the second picture that shows the first (a border or letterbox: less)."""
    overlay: bool = False
    """Some aligned blocks disagree while the rest match: something was drawn on top."""
    brightness: float = 0.0
    """Mean grey level of the second minus the first (thumbnails, 0-255)."""
    fit: float = 0.0
    """How closely a geometric match agrees: the aligned overlap's median block correlation
    (0 when not measured). A copy that verifies against two photos belongs with the closer."""
    sibling: bool = False
    """Of a pair that is not a duplicate: the two agree pixel for pixel where they overlap
    but neither holds the other (two different crops of one photo, or two shots of one
    thing). Neither is a copy of the other, but each may be a copy of the other's group."""

    @property
    def framing_kept(self) -> bool:
        """A global verdict: the same framing, nothing cropped, tilted or drawn on (a chain
        of these is a copy of each of its photos, unlike a chain of geometric ones)."""
        return (
            self.angle == 0.0
            and self.covers == 1.0
            and self.covered == 1.0
            and not self.mirrored
            and not self.overlay
        )

    def inverted(self) -> Change:
        """The same relation seen from the second picture."""
        inverse_variant = (0, 1, 2, 3, 4, 6, 5, 7)[self.variant]
        return replace(
            self,
            variant=inverse_variant,
            angle=-self.angle,
            covers=self.covered,
            covered=self.covers,
            brightness=-self.brightness,
        )


@dataclass(frozen=True)
class Verdict:
    tier: str
    """TIER_SAME_PHOTO, TIER_EDITED_COPY, or "" (not a duplicate)."""
    change: Change = Change()

    def seen_from_the_other_side(self) -> Verdict:
        return Verdict(self.tier, self.change.inverted())

    def to_json(self) -> str:
        return json.dumps(asdict(self.change), sort_keys=True)

    @classmethod
    def from_json(cls, tier: str, text: str) -> Verdict:
        return cls(tier, Change(**json.loads(text)) if text else Change())


NOT_A_DUPLICATE = Verdict("")
SIBLINGS = Verdict("", Change(sibling=True))
"""Not a duplicate pair, but two parts of one picture (``Change.sibling``)."""


@dataclass(frozen=True)
class Picture:
    """What the ladder may look at for one content: stored facts, and its files to decode."""

    width: int
    height: int
    saturation: float | None
    paths: tuple[str, ...]


GreyLoader = Callable[[Picture, int], np.ndarray | None]
"""Decodes a picture to grey at most ``side`` px (None when none of its files can be read)."""

RECENT_PICTURES = 256
"""Decodes and local features kept per run (about 1 MB each at 1024 px): a run over a large
library decodes a picture again rather than holding every one in memory."""

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The most recently used ``size`` values, each made once while it stays."""

    def __init__(self, make: Callable[[K], V], size: int = RECENT_PICTURES) -> None:
        self.make, self.size = make, size
        self.values: OrderedDict[K, V] = OrderedDict()

    def __call__(self, key: K) -> V:
        if key in self.values:
            self.values.move_to_end(key)
            return self.values[key]
        value = self.values[key] = self.make(key)
        if len(self.values) > self.size:
            self.values.popitem(last=False)
        return value


def geometric_verdict(
    a: Picture, b: Picture, first: LocalFeatures | None, second: LocalFeatures | None
) -> Verdict:
    """Step 2: align ``b`` onto ``a`` by keypoints and compare the overlap."""
    if first is None or second is None:
        return NOT_A_DUPLICATE
    alignment = local_alignment(first, second)
    if alignment is None or alignment.inliers < MIN_INLIERS:
        return NOT_A_DUPLICATE
    layers = overlay(first.grey, second.grey, alignment)
    overlap = overlap_agreement(layers)
    if (
        overlap.blocks < OVERLAP_BLOCKS
        or overlap.close < OVERLAP_CLOSE
        or overlap.median_ncc < OVERLAP_MEDIAN
        or overlap.coverage_first < MIN_OVERLAP
        or overlap.textured < 8
    ):
        return NOT_A_DUPLICATE
    if residual_shift(layers).residual > MAX_PARALLAX:  # another shot, not an edit
        return NOT_A_DUPLICATE
    if exclusive_content(first.grey, second.grey, alignment).least > MAX_EXCLUSIVE:
        return SIBLINGS  # each shows content the other lacks: not a copy of the other
    change = Change(
        fit=round(overlap.median_ncc, 4),
        angle=alignment.angle,
        mirrored=alignment.mirrored,
        covers=overlap.coverage_first,
        covered=overlap.coverage_second,
        overlay=overlap.blocks < 0.97,
    )
    return Verdict(TIER_EDITED_COPY, change)


def can_align(picture: Picture) -> bool:
    return min(picture.width, picture.height) >= MIN_GEOMETRY_SIDE


def _recoloured(a: Picture, b: Picture) -> bool:
    """Greyscale, sepia or a saturation filter: the colour changed, the picture did not."""
    if a.saturation is None or b.saturation is None:
        return False
    return abs(a.saturation - b.saturation) > 0.08


def describe(first: Picture, second: Picture, change: Change, fmt: tuple[str, str]) -> str:
    """What ``second`` is as an edit of ``first``, in words ("cropped to 82 %", "mirrored")."""
    words: list[str] = []
    if change.variant:
        words.append(DIHEDRAL[change.variant])
    if change.mirrored:
        words.append("mirrored")
    if abs(change.angle) >= 1.0:
        words.append(f"rotated {abs(change.angle):.0f}°")
    if change.covers < 0.97:
        words.append(f"cropped to {100 * change.covers:.0f} %")
    if change.covered < 0.9:
        words.append("border or letterbox added")
    if change.overlay:
        words.append("watermark or text added")
    words += _colour_words(first, second, change)
    if not words or change.covers >= 0.97:
        words += _size_words(first, second, fmt)
    return ", ".join(dict.fromkeys(words))


def _colour_words(first: Picture, second: Picture, change: Change) -> list[str]:
    words = []
    if first.saturation is not None and second.saturation is not None:
        if first.saturation > 0.08 and second.saturation < 0.02:
            words.append("greyscale")
        elif abs(first.saturation - second.saturation) > 0.08:
            words.append("colours changed")
    if change.brightness > 12:
        words.append("brighter")
    elif change.brightness < -12:
        words.append("darker")
    return words


def _size_words(first: Picture, second: Picture, fmt: tuple[str, str]) -> list[str]:
    words = []
    if (
        first.width
        and second.width
        and second.width * second.height < 0.9 * first.width * first.height
    ):
        ratio = np.sqrt(second.width * second.height / (first.width * first.height))
        words.append(f"resized to {100 * ratio:.0f} %")
    if fmt[0] and fmt[1] and fmt[0] != fmt[1]:
        words.append(f"converted to {fmt[1]}")
    elif not words:
        words.append("recompressed")
    return words


ThumbSource = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Rows -> ((len, 32, 32) uint8 thumbnails, which rows have one)."""


@dataclass(frozen=True)
class PairVerdicts:
    """The ladder's answer for each candidate pair, aligned with the pairs."""

    tiers: list[str]
    changes: list[Change]

    def __len__(self) -> int:
        return len(self.tiers)


def global_verdicts(
    pictures: Sequence[Picture],
    left: np.ndarray,
    right: np.ndarray,
    distances: np.ndarray,
    variants: np.ndarray,
    thumbs_of: ThumbSource,
) -> PairVerdicts:
    """Step 1 over many pairs at once (vectorised: a dense library has many)."""
    tiers = [""] * len(left)
    changes = [Change()] * len(left)
    close = np.flatnonzero(distances <= SIGNATURE_CANDIDATE_RADIUS)
    if not len(close):
        return PairVerdicts(tiers, changes)
    rows = np.unique(np.concatenate([left[close], right[close]]))
    thumbs, has = thumbs_of(rows)
    where = {int(r): i for i, r in enumerate(rows.tolist())}
    a_idx = np.array([where[int(r)] for r in left[close]])
    b_idx = np.array([where[int(r)] for r in right[close]])
    usable = has[a_idx] & has[b_idx]
    close, a_idx, b_idx = close[usable], a_idx[usable], b_idx[usable]
    if not len(close):
        return PairVerdicts(tiers, changes)
    first = thumbs[a_idx]
    second = _turned_back(thumbs[b_idx], variants[close])
    ncc, blocks = thumb_agreement_batch(first, second)
    shift = second.reshape(len(second), -1).mean(axis=1) - first.reshape(len(first), -1).mean(
        axis=1
    )
    for k in np.flatnonzero((ncc >= THUMB_NCC) & (blocks >= THUMB_BLOCKS)).tolist():
        pair = int(close[k])
        a, b = pictures[int(left[pair])], pictures[int(right[pair])]
        variant = int(variants[pair])
        brightness = float(shift[k])
        recoloured = _recoloured(a, b) or abs(brightness) > 12
        same = distances[pair] <= SIGNATURE_SAME_PHOTO and not recoloured and variant == 0
        tiers[pair] = TIER_SAME_PHOTO if same else TIER_EDITED_COPY
        changes[pair] = Change(variant=variant, brightness=brightness)
    return PairVerdicts(tiers, changes)


def _turned_back(thumbs: np.ndarray, variants: np.ndarray) -> np.ndarray:
    """Each thumbnail turned by the inverse of its pair's dihedral variant."""
    out = thumbs.copy()
    for variant in np.unique(variants).tolist():
        undo = UNDO_DIHEDRAL[variant]
        if undo is None:
            continue
        chosen = np.flatnonzero(variants == variant)
        out[chosen] = np.stack(
            [np.asarray(Image.fromarray(t).transpose(undo)) for t in thumbs[chosen]]
        )
    return out


def confirmed(
    a: Picture, b: Picture, verdict: Verdict, load_grey: GreyLoader
) -> tuple[Verdict, bool]:
    """The end of step 1: the thumbnail match, checked on decodes of at most 256 px.

    Returns the verdict and whether it is final. When a file cannot be read now (a drive
    unplugged, a file being replaced), the thumbnail match stands but is not final: it must
    not be cached, so the pair is checked again once the files are back."""
    first, second = load_grey(a, CONFIRM_SIDE), load_grey(b, CONFIRM_SIDE)
    if first is None or second is None:
        return verdict, False
    undo = UNDO_DIHEDRAL[verdict.change.variant]
    if undo is not None:
        second = np.asarray(Image.fromarray(second).transpose(undo))
    score = frame_agreement(first, second)
    agrees = score.blocks >= FRAME_BLOCKS and score.textured >= 4
    return (verdict if agrees else NOT_A_DUPLICATE), True


def geometric_verdicts(
    pictures: Sequence[Picture],
    pairs: Sequence[tuple[int, int]],
    load_grey: GreyLoader,
    cached: Callable[[int, int], Verdict | None],
    remember: Callable[[int, int, Verdict], None],
    settled: Callable[[int, int], bool] = lambda i, j: False,
) -> list[Verdict | None]:
    """Step 2 for the pairs step 1 left open, in the given order; local features are
    computed once per picture for the whole run, and every verdict is remembered (the
    library caches them). A pair ``settled`` already (both photos in one group through other
    verified pairs) is skipped: its verdict could not change any group. None marks those,
    and pairs with a file that cannot be read now (decided another time, never cached)."""

    def features_for(index: int) -> LocalFeatures | None:
        grey = load_grey(pictures[index], MAX_SIDE)
        return local_features(grey) if grey is not None else None

    features_of = Recent(features_for)

    verdicts: list[Verdict | None] = []
    for i, j in pairs:
        verdict = cached(i, j)
        if verdict is None:
            if settled(i, j):
                verdicts.append(None)
                continue
            first, second = features_of(i), features_of(j)
            if first is None or second is None:  # unreadable now: decided another time
                verdicts.append(None)
                continue
            verdict = geometric_verdict(pictures[i], pictures[j], first, second)
            remember(i, j, verdict)
        verdicts.append(verdict)
    return verdicts
