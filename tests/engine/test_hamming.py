"""Hamming search against a plain numpy reference (unpackbits of the XOR).

Conventions under test: a radius is inclusive (``distance <= r``); top-k ties go to the smaller
row index; any code length works, multiple of 64 or not. The data plants near-duplicates so
that a search that returns nothing, or everything, cannot pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinlens.engine.matching import hamming
from twinlens.engine.model import codes


def _dataset(n: int, bits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2, (n, bits), dtype=np.uint8)
    # Plant near-duplicates: every 5th row is a copy of its predecessor with 0-3 bits flipped.
    for row in range(1, n, 5):
        raw[row] = raw[row - 1]
        flips = rng.choice(bits, size=rng.integers(0, 4), replace=False)
        raw[row, flips] ^= 1
    return raw, codes.pack_bits(raw)


def _reference(raw: np.ndarray) -> np.ndarray:
    return (raw[:, None, :] != raw[None, :, :]).sum(axis=2)


@pytest.mark.parametrize("bits", [16, 64, 100, 128])
def test_distances_match_reference(bits: int) -> None:
    raw, packed = _dataset(300, bits, seed=bits)
    ref = _reference(raw)
    for query in (0, 1, 77):
        assert np.array_equal(hamming.distances(packed, packed[query]), ref[query])


@pytest.mark.parametrize("bits", [16, 64, 100])
@pytest.mark.parametrize("k", [1, 10, 299, 1000])
def test_top_k_matches_reference_with_ties_by_index(bits: int, k: int) -> None:
    raw, packed = _dataset(299, bits, seed=k)
    ref = _reference(raw)
    index = hamming.CodeIndex(packed)
    for query in range(0, 299, 37):
        expected = np.lexsort((np.arange(299), ref[query]))[:k]
        got, dist = index.top_k(packed[query], k)
        assert np.array_equal(got, expected)
        assert np.array_equal(dist, ref[query][expected])


def test_top_k_ties_are_broken_by_index() -> None:
    packed = codes.pack_bits(np.zeros((6, 64), dtype=np.uint8))
    got, dist = hamming.top_k(packed, packed[3], 4)
    assert got.tolist() == [0, 1, 2, 3]
    assert dist.tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("radius", [0, 1, 3, 8])
def test_radius_is_inclusive_and_agrees_with_top_k(radius: int) -> None:
    raw, packed = _dataset(400, 64, seed=radius)
    ref = _reference(raw)
    for query in (0, 5, 123):
        got, dist = hamming.within_radius(packed, packed[query], radius)
        expected = np.flatnonzero(ref[query] <= radius)
        assert sorted(got.tolist()) == expected.tolist()
        assert (dist <= radius).all()
        top, _ = hamming.top_k(packed, packed[query], len(expected))
        assert sorted(top.tolist()) == expected.tolist()


@pytest.mark.parametrize("bits", [16, 64, 100, 128])
@pytest.mark.parametrize("radius", [0, 1, 2, 4, 7])
def test_all_pairs_matches_reference(bits: int, radius: int) -> None:
    raw, packed = _dataset(500, bits, seed=bits * 10 + radius)
    ref = _reference(raw)
    left, right = np.nonzero(np.triu(ref <= radius, k=1))
    pairs = hamming.all_pairs(packed, bits, radius)
    assert len(left) > 0
    assert set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True)) == set(
        zip(left.tolist(), right.tolist(), strict=True)
    )
    assert np.array_equal(pairs.distance, ref[pairs.left, pairs.right])
    assert (pairs.left < pairs.right).all()


@pytest.mark.parametrize("block", [1, 7, 1000])
def test_pair_searches_are_exact_when_collisions_are_checked_in_small_blocks(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Skewed codes (many rows share a chunk) are expanded block by block; the blocks must
    neither drop nor repeat a pair."""
    raw, packed = _dataset(300, 64, seed=block)
    raw[::3, :50] = 0  # a third of the rows share most of their bits: large buckets
    packed = codes.pack_bits(raw)
    ref = _reference(raw)
    monkeypatch.setattr(hamming, "_EXPAND_BLOCK", block)
    pairs = hamming.all_pairs(packed, 64, 6)
    left, right = np.nonzero(np.triu(ref <= 6, k=1))
    assert len(left) > 200
    assert set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True)) == set(
        zip(left.tolist(), right.tolist(), strict=True)
    )
    cross = hamming.cross_pairs(packed[:100], packed[100:], 64, 6)
    q, d = np.nonzero(ref[:100, 100:] <= 6)
    assert set(zip(cross.left.tolist(), cross.right.tolist(), strict=True)) == set(
        zip(q.tolist(), d.tolist(), strict=True)
    )


def test_empty_library() -> None:
    empty = np.zeros((0, 1), dtype=np.uint64)
    query = np.zeros(1, dtype=np.uint64)
    assert hamming.top_k(empty, query, 10)[0].shape == (0,)
    assert hamming.within_radius(empty, query, 5)[0].shape == (0,)
    assert len(hamming.all_pairs(empty, 64, 4)) == 0
    one = np.ones((1, 1), dtype=np.uint64)
    assert len(hamming.all_pairs(one, 64, 4)) == 0


def test_query_of_wrong_length_is_refused() -> None:
    packed = codes.pack_bits(np.zeros((3, 128), dtype=np.uint8))
    with pytest.raises(ValueError, match="words"):
        hamming.top_k(packed, np.zeros(1, dtype=np.uint64), 1)


@pytest.mark.parametrize("queries", [3, 40, 2000])
@pytest.mark.parametrize("probe_block", [5, 1 << 21])
def test_cross_pairs_each_is_exact_for_few_and_many_queries(
    monkeypatch: pytest.MonkeyPatch, queries: int, probe_block: int
) -> None:
    """A few queries against a large database build tables of the probed rows only; many
    build them whole; probes are looked up in blocks. Every regime returns exactly the
    reference pairs, for each query set apart."""
    raw, _ = _dataset(2 * queries + 1500, 64, seed=queries)
    rng = np.random.default_rng(queries)
    for row in range(queries):  # a near-copy of every query row in the database
        copy = 2 * queries + 1500 - 1 - row
        raw[copy] = raw[row]
        raw[copy, rng.choice(64, size=rng.integers(0, 8), replace=False)] ^= 1
    packed = codes.pack_bits(raw)
    ref = _reference(raw)
    monkeypatch.setattr(hamming, "_PROBE_BLOCK", probe_block)
    first, second = packed[:queries:2], packed[1:queries:2]
    database = packed[queries:]
    for radius in (3, 7):
        found = hamming.cross_pairs_each([first, second], database, 64, radius)
        for offset, pairs in zip((0, 1), found, strict=True):
            q, d = np.nonzero(ref[offset:queries:2, queries:] <= radius)
            got = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
            assert got == set(zip(q.tolist(), d.tolist(), strict=True))
            assert (
                pairs.distance.tolist()
                == ref[offset:queries:2, queries:][pairs.left, pairs.right].tolist()
            )
    # Most planted copies lie within 7 bits (0-7 flips): a search finding none fails.
    assert len(hamming.cross_pairs(packed[:queries], database, 64, 7)) >= queries // 2
