"""Duplicate candidates: several cheap sources, each sub-quadratic, united into one pair list.

- **Pixel structure**: the signature's 64 bits (a perceptual hash of the 32x32 grey
  thumbnail), searched with multi-index hashing in all 8 mirror and quarter-turn variants,
  which are derived from the stored DCT coefficients. Brings back every resize,
  recompression, format change, blur, brightness change, greyscale copy, mirror and turn.
- **Learned codes**: for each photo its k nearest neighbours by a model code, within a capped
  radius, so the count stays linear in the library size however dense it is. The model's
  duplicate code serves when the model has one; the semantic code stands in otherwise.

Byte-identical files are one content already (the exact tier) and need no pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinlens.engine.media.signature import BLOCK, from_blobs, variant_bits
from twinlens.engine.model.codes import pack_bits

from .hamming import all_pairs, cross_pairs, cross_pairs_each, search_work

SIGNATURE = 1
"""Source flag: the pair's pixel-structure signatures are close (in some dihedral variant)."""
CODE = 2
"""Source flag: the pair's learned codes are among each other's nearest."""
TRIMMED = 4
"""Source flag: one picture's inside (without bars or a frame) matches the other's whole."""
INVERSE_VARIANT = (0, 1, 2, 3, 4, 6, 5, 7)
"""The dihedral variant that undoes each one (signature.DIHEDRAL)."""
_NO_SIGNATURE = BLOCK * BLOCK


@dataclass(frozen=True)
class CandidatePairs:
    """Pairs of content rows (``left < right``) and what each source saw of them."""

    left: np.ndarray
    right: np.ndarray
    source: np.ndarray
    """Bit flags SIGNATURE | CODE."""
    signature_distance: np.ndarray
    """Least signature bit distance over the dihedral variants (64: a signature missing)."""
    variant: np.ndarray
    """The dihedral variant of ``left`` that ``right`` is (signature.DIHEDRAL)."""

    def __len__(self) -> int:
        return int(self.left.shape[0])


def signature_codes(blobs: list[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 8, 1) packed signature bits of each content in each dihedral variant, and which
    contents have a signature at all."""
    has = np.array([b is not None for b in blobs], dtype=bool)
    blocks = np.zeros((len(blobs), BLOCK, BLOCK), dtype=np.float32)
    if has.any():
        blocks[has] = from_blobs([b for b in blobs if b is not None])
    packed = np.stack([pack_bits(b) for b in variant_bits(blocks)], axis=1)
    return packed, has


def signature_pairs(packed: np.ndarray, has: np.ndarray, radius: int) -> CandidatePairs:
    """Contents whose signatures lie within ``radius`` bits in some dihedral variant."""
    rows = np.flatnonzero(has)
    base = packed[rows, 0]
    upright = all_pairs(base, 64, radius)
    found = [_as_variant(rows[upright.left], rows[upright.right], upright.distance, 0)]
    turns = range(1, packed.shape[1])
    each = cross_pairs_each([packed[rows, t] for t in turns], base, 64, radius)
    for turn, pairs in zip(turns, each, strict=True):
        found.append(_as_variant(rows[pairs.left], rows[pairs.right], pairs.distance, turn))
    return _from_variants(found)


def signature_pairs_of(
    packed: np.ndarray, has: np.ndarray, queries: np.ndarray, radius: int
) -> CandidatePairs:
    """The pairs of ``signature_pairs`` that hold at least one of the ``queries`` rows: what
    a library adds when photos arrive, at a cost that grows with the new photos, not with
    the library squared. A variant's bits are taken against its own median, so the two
    directions can differ by a bit: the new photos' variants are searched among everyone's
    upright signature, and their upright signature among everyone's variants."""
    rows = np.flatnonzero(has)
    queries = np.unique(np.asarray(queries, dtype=np.int64))
    queries = queries[has[queries]]  # not intersect1d: that sorts the whole library
    if not len(queries):
        return _empty()
    variants_ = packed.shape[1]
    each = cross_pairs_each(
        [packed[queries, t] for t in range(variants_)], packed[rows, 0], 64, radius
    )
    found = [
        _as_variant(queries[p.left], rows[p.right], p.distance, turn) for turn, p in enumerate(each)
    ]
    everyone = packed[rows, :, 0].reshape(-1, 1)  # row k's variant t at k * variants_ + t
    back = cross_pairs(packed[queries, 0], everyone, 64, radius)
    found.append(
        _as_variant(
            rows[back.right // variants_], queries[back.left], back.distance, back.right % variants_
        )
    )
    return _from_variants(found)


def _from_variants(found: list[tuple[np.ndarray, ...]]) -> CandidatePairs:
    """One CandidatePairs from (i, j, distance, variant) parts, self-pairs left out."""
    left = np.concatenate([f[0] for f in found])
    right = np.concatenate([f[1] for f in found])
    dist = np.concatenate([f[2] for f in found])
    which = np.concatenate([f[3] for f in found])
    other = left != right
    return _best_per_pair(left[other], right[other], dist[other], which[other], SIGNATURE)


def _as_variant(
    i: np.ndarray, j: np.ndarray, distance: np.ndarray, variant: int | np.ndarray
) -> tuple[np.ndarray, ...]:
    """(low, high, distance, variant of low that high is), from pairs where ``variant`` of
    ``i`` is ``j`` (the variant inverted where the pair is swapped)."""
    v = np.broadcast_to(np.asarray(variant, dtype=np.int64), i.shape)
    swap = i > j
    low, high = np.where(swap, j, i), np.where(swap, i, j)
    turned = np.where(swap, np.asarray(INVERSE_VARIANT)[v], v).astype(np.uint8)
    return low, high, distance.astype(np.int16), turned


def trimmed_pairs(
    trimmed: list[bytes | None], packed: np.ndarray, has: np.ndarray, radius: int
) -> CandidatePairs:
    """Pictures whose inside, without uniform bars or a frame, matches another's signature."""
    rows = np.array([i for i, t in enumerate(trimmed) if t is not None], dtype=np.int64)
    if not len(rows) or not has.any():
        return _empty()
    inside, _ = signature_codes([trimmed[i] for i in rows])
    base = np.flatnonzero(has)
    pairs = cross_pairs(inside[:, 0], packed[base, 0], 64, radius)
    left, right = rows[pairs.left], base[pairs.right]
    keep = left != right
    left, right = left[keep], right[keep]
    low, high = np.minimum(left, right), np.maximum(left, right)
    flags = np.full(len(low), TRIMMED, np.uint8)
    far = np.full(len(low), _NO_SIGNATURE, dtype=np.int16)
    return unite(CandidatePairs(low, high, flags, far, np.zeros(len(low), np.uint8)))


NEIGHBOUR_WORK = 5e7
"""Estimated work (hamming.search_work) one widening step of a neighbour search may take,
about 1.5 s here: on a library of a million photos whose codes are spread out, the open
radii would take minutes, so rows still short of neighbours keep those found so far."""


def code_pairs(
    codes: np.ndarray, bits_: int, k: int, max_radius: int, work: float = NEIGHBOUR_WORK
) -> CandidatePairs:
    """Each content's ``k`` nearest contents by code, at most ``max_radius`` bits away.

    The radius grows (2, 4, ...) only for the rows that have not found ``k`` neighbours yet,
    so a dense collection (many similar pictures) stops early instead of listing the tens of
    millions of pairs an open radius would hold: the pair count stays linear. A step whose
    estimated ``work`` is over the budget is not taken (only on a large, sparse library).
    """
    n = len(codes)
    remaining = np.arange(n)
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    radii = sorted({*range(2, max_radius + 1, 2), max_radius})
    for step, radius in enumerate(radii):
        if not len(remaining):
            break
        found = cross_pairs(codes[remaining], codes, bits_, radius)
        rows, others = remaining[found.left], found.right
        keep = rows != others
        rows, others, dist = rows[keep], others[keep], found.distance[keep]
        counts = np.bincount(np.searchsorted(remaining, rows), minlength=len(remaining))
        short = counts < k
        last = step + 1 == len(radii) or (
            search_work(bits_, radii[step + 1], int(short.sum()), n) > work
        )
        done = ~short | last
        settled = np.isin(rows, remaining[done])
        kept.append((rows[settled], others[settled], dist[settled]))
        remaining = remaining[~done]
    if not kept:
        return _empty()
    rows = np.concatenate([r for r, _, _ in kept])
    others = np.concatenate([o for _, o, _ in kept])
    dist = np.concatenate([d for _, _, d in kept])
    nearest = _nearest_per_row(rows, dist, k)
    rows, others = rows[nearest], others[nearest]
    left, right = np.minimum(rows, others), np.maximum(rows, others)
    far = np.full(len(left), _NO_SIGNATURE, dtype=np.int16)
    flags = np.full(len(left), CODE, np.uint8)
    return unite(CandidatePairs(left, right, flags, far, np.zeros(len(left), np.uint8)))


def _nearest_per_row(rows: np.ndarray, dist: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` smallest distances."""
    order = np.lexsort((dist, rows))
    sorted_rows = rows[order]
    starts = np.r_[0, np.flatnonzero(sorted_rows[1:] != sorted_rows[:-1]) + 1]
    first_of = np.repeat(starts, np.diff(np.r_[starts, len(sorted_rows)]))
    rank = np.arange(len(sorted_rows)) - first_of
    return order[rank < k]


def signature_evidence(
    packed: np.ndarray, has: np.ndarray, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(least signature distance, variant) of each pair over the 8 variants of ``left``."""
    best = np.full(len(left), _NO_SIGNATURE, dtype=np.int16)
    variant = np.zeros(len(left), dtype=np.uint8)
    usable = has[left] & has[right]
    if not usable.any():
        return best, variant
    target = packed[right[usable], 0, 0]
    for v in range(packed.shape[1]):
        d = np.bitwise_count(packed[left[usable], v, 0] ^ target).astype(np.int16)
        current = best[usable]
        better = d < current
        current[better] = d[better]
        best[usable] = current
        chosen = variant[usable]
        chosen[better] = v
        variant[usable] = chosen
    return best, variant


def unite(*sources: CandidatePairs) -> CandidatePairs:
    """One list: each pair once, its source flags or-ed, its best signature evidence kept."""
    parts = [s for s in sources if len(s)]
    if not parts:
        return _empty()
    left = np.concatenate([p.left for p in parts])
    right = np.concatenate([p.right for p in parts])
    source = np.concatenate([p.source for p in parts])
    dist = np.concatenate([p.signature_distance for p in parts])
    variant = np.concatenate([p.variant for p in parts])
    key = left.astype(np.int64) * (int(right.max()) + 1) + right
    order = np.lexsort((dist, key))
    key, left, right, source, dist, variant = (
        a[order] for a in (key, left, right, source, dist, variant)
    )
    first = np.r_[True, key[1:] != key[:-1]]
    group = np.cumsum(first) - 1
    flags = np.zeros(int(first.sum()), dtype=np.uint8)
    np.bitwise_or.at(flags, group, source)
    return CandidatePairs(left[first], right[first], flags, dist[first], variant[first])


def _best_per_pair(
    left: np.ndarray, right: np.ndarray, dist: np.ndarray, variant: np.ndarray, flag: int
) -> CandidatePairs:
    found = CandidatePairs(left, right, np.full(len(left), flag, np.uint8), dist, variant)
    return unite(found) if len(left) else _empty()


def _empty() -> CandidatePairs:
    none = np.zeros(0, dtype=np.int64)
    return CandidatePairs(
        none, none.copy(), np.zeros(0, np.uint8), np.zeros(0, np.int16), np.zeros(0, np.uint8)
    )
