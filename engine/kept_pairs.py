"""Signature candidate pairs kept in the library, so a search costs the new photos only.

Searching every photo's pixel-structure signature in eight dihedral variants against the
whole library is the costly candidate source of a large library (minutes at a million
photos, docs/benchmarks.md). Its answer for a pair depends only on the two signatures, so
each content is searched once, against everything indexed at the time, and its close pairs
are kept; a later search adds the contents that arrived since. The code neighbours are not
kept: a photo's k nearest change as photos arrive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .matching.candidates import (
    INVERSE_VARIANT,
    SIGNATURE,
    CandidatePairs,
    signature_pairs,
    signature_pairs_of,
    unite,
)
from .matching.collection import Collection
from .matching.verify import SIGNATURE_SEARCH_RADIUS
from .storage.store import Store

FINDER = f"dihedral8-r{SIGNATURE_SEARCH_RADIUS}"
"""The signature search's version: another radius or variant set searches afresh."""


def signature_candidates(store: Store, collection: Collection) -> CandidatePairs:
    """Every signature pair of ``collection`` (rows as in it): the kept ones, plus those of
    the contents not searched yet, which are searched now and kept."""
    packed, has = collection.signatures()
    hashes = [c.hash for c in collection.candidates]
    fresh, absent = searched_state(store, hashes)
    if fresh.all():
        found = signature_pairs(packed, has, SIGNATURE_SEARCH_RADIUS)
    elif fresh.any():
        found = signature_pairs_of(packed, has, np.flatnonzero(fresh), SIGNATURE_SEARCH_RADIUS)
    else:
        found = unite()
    kept = _from_hashes(store.signature_pairs(FINDER), collection) if not fresh.all() else unite()
    if fresh.any() or absent:
        new_hashes = [hashes[i] for i in np.flatnonzero(fresh)]
        store.add_signature_pairs(FINDER, _as_hashes(found, hashes), new_hashes, absent)
    return unite(kept, found)


def searched_state(store: Store, hashes: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Which of ``hashes`` were not searched yet (a mask), and the searched contents that
    are no longer among them (to be unmarked). When every searched content is still here
    (nothing left the library), the searched set is not walked."""
    searched = store.paired(FINDER)
    fresh = np.array([h not in searched for h in hashes], dtype=bool)
    if len(hashes) - int(fresh.sum()) == len(searched):
        return fresh, []
    present = set(hashes)
    return fresh, [h for h in searched if h not in present]


def within(pairs: CandidatePairs, rows: Sequence[int], size: int) -> CandidatePairs:
    """The pairs between ``rows`` of a collection of ``size``, renumbered as positions in
    ``rows`` (a search restricted to some folders)."""
    position = np.full(size, -1, dtype=np.int64)
    position[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
    left, right = position[pairs.left], position[pairs.right]
    keep = (left >= 0) & (right >= 0)
    return _ordered(left[keep], right[keep], pairs.signature_distance[keep], pairs.variant[keep])


def _as_hashes(pairs: CandidatePairs, hashes: Sequence[str]) -> list[tuple[str, str, int, int]]:
    """(low hash, high hash, distance, variant of low that high is) of each pair."""
    out = []
    for i, j, d, v in zip(
        pairs.left.tolist(),
        pairs.right.tolist(),
        pairs.signature_distance.tolist(),
        pairs.variant.tolist(),
        strict=True,
    ):
        a, b = hashes[i], hashes[j]
        out.append((a, b, d, v) if a < b else (b, a, d, INVERSE_VARIANT[v]))
    return out


def _from_hashes(kept: list[tuple[str, str, int, int]], collection: Collection) -> CandidatePairs:
    """Kept pairs as rows of ``collection``; pairs with a content no longer in it are left out."""
    rows: list[tuple[int, int, int, int]] = []
    for low, high, distance, variant in kept:
        i, j = collection.row_of(low), collection.row_of(high)
        if i is not None and j is not None:
            rows.append((i, j, distance, variant))
    if not rows:
        return unite()
    left, right, dist, turn = (np.array(column) for column in zip(*rows, strict=True))
    return _ordered(left, right, dist, turn)


def _ordered(
    left: np.ndarray, right: np.ndarray, distance: np.ndarray, variant: np.ndarray
) -> CandidatePairs:
    """Pairs with ``left < right``, each variant turned round where its pair was swapped."""
    swap = left > right
    low, high = np.where(swap, right, left), np.where(swap, left, right)
    inverse = np.asarray(INVERSE_VARIANT, dtype=np.uint8)
    turned = np.where(swap, inverse[variant.astype(np.int64)], variant).astype(np.uint8)
    flags = np.full(len(low), SIGNATURE, np.uint8)
    return unite(
        CandidatePairs(
            low.astype(np.int64), high.astype(np.int64), flags, distance.astype(np.int16), turned
        )
    )
