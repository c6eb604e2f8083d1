"""Hamming search over packed uint64 codes: top-k, radius, and all close pairs.

Conventions (tested against a NumPy unpackbits reference in tests/engine/test_hamming.py):
- a radius is inclusive: a result at ``distance <= radius`` is in;
- ties in top-k are broken by the smaller row index, so results are deterministic;
- codes are (N, W) uint64 rows as made by codes.pack_bits; any bit length works.

All-pairs search uses multi-index hashing (Norouzi et al., "Fast Search in Hamming Space with
Multi-Index Hashing"): split the code into m chunks; two codes within radius r agree within
floor(r / m) bits on at least one chunk, so only codes sharing a (nearly) equal chunk are
compared. Each chunk indexes a direct-address table, so a probe is one array lookup.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

_MAX_TABLE_BITS = 22  # 4M-entry direct-address table per chunk (16 MB of int32)


@dataclass(frozen=True)
class Pairs:
    """Close pairs ``(left[i], right[i])`` with ``left < right`` at Hamming ``distance[i]``."""

    left: np.ndarray
    right: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return int(self.left.shape[0])


_CHUNK = 1 << 15  # rows per step: keeps the XOR scratch buffer inside the L2 cache
_SAMPLE_STRIDE = 16


class CodeIndex:
    """Codes laid out word-major for fast scans; build once, query many times.

    A scan walks the rows in cache-sized chunks. (Splitting it over two threads was measured
    and gave nothing here: one query is bound by memory bandwidth, not arithmetic.)
    """

    def __init__(self, codes: np.ndarray) -> None:
        codes = _as_codes(codes)
        self.size = codes.shape[0]
        self.words = codes.shape[1]
        self._columns = np.ascontiguousarray(codes.T)
        self._dtype = np.uint8 if self.words * 64 <= 255 else np.uint16

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Hamming distance from one packed ``query`` (W,) to every code (uint8 or uint16)."""
        query = np.asarray(query, dtype=np.uint64).reshape(-1)
        if query.shape[0] != self.words:
            raise ValueError(f"query has {query.shape[0]} words, the index {self.words}")
        out = np.empty(self.size, dtype=self._dtype)
        self._fill(query, out, 0, self.size)
        return out

    def _fill(self, query: np.ndarray, out: np.ndarray, first: int, last: int) -> None:
        scratch = np.empty(min(last - first, _CHUNK), dtype=np.uint64)
        counts = np.empty(min(last - first, _CHUNK), dtype=np.uint8)
        for start in range(first, last, _CHUNK):
            stop = min(last, start + _CHUNK)
            buf, target = scratch[: stop - start], out[start:stop]
            np.bitwise_xor(self._columns[0, start:stop], query[0], out=buf)
            np.bitwise_count(buf, out=target, casting="unsafe")
            for word in range(1, self.words):
                cnt = counts[: stop - start]
                np.bitwise_xor(self._columns[word, start:stop], query[word], out=buf)
                np.bitwise_count(buf, out=cnt)
                target += cnt

    def top_k(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes: (indices, distances), nearest first, ties by index."""
        dist = self.distances(query)
        k = min(max(k, 0), self.size)
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint16)
        candidates = _smallest_candidates(dist, k)
        order = np.lexsort((candidates, dist[candidates]))[:k]
        chosen = candidates[order]
        return chosen.astype(np.int64), dist[chosen]

    def within_radius(self, query: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """Every code within ``radius`` (inclusive): (indices, distances), nearest first."""
        dist = self.distances(query)
        hits = np.flatnonzero(dist <= radius)
        hits = hits[np.lexsort((hits, dist[hits]))]
        return hits.astype(np.int64), dist[hits]


def _smallest_candidates(dist: np.ndarray, k: int) -> np.ndarray:
    """Indices of a small superset of the ``k`` smallest distances (sorted by index).

    Distances are small integers, so instead of a partial sort we pick a cut-off from a strided
    sample's histogram and take everything at or below it, raising it if it was too tight.
    """
    sample = np.bincount(dist[::_SAMPLE_STRIDE])
    wanted = k / _SAMPLE_STRIDE + 2
    cutoff = int(np.searchsorted(np.cumsum(sample), wanted))
    while True:
        candidates = np.flatnonzero(dist <= cutoff)
        if candidates.shape[0] >= k:
            return candidates
        cutoff += 1 + cutoff // 4


def distances(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance from one packed ``query`` (W,) to every row of ``codes``, as uint16."""
    return CodeIndex(codes).distances(query)


def top_k(codes: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows: (indices, distances), nearest first, ties by index."""
    return CodeIndex(codes).top_k(query, k)


def within_radius(
    codes: np.ndarray, query: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every row within ``radius`` (inclusive): (indices, distances), nearest first."""
    return CodeIndex(codes).within_radius(query, radius)


def all_pairs(codes: np.ndarray, bits: int, radius: int) -> Pairs:
    """Every pair of rows within ``radius`` of each other, each pair once (left < right)."""
    codes = _as_codes(codes)
    n = codes.shape[0]
    if n < 2 or radius < 0:
        return _empty_pairs()
    chunks = _plan_chunks(bits, radius, n)
    sub_radius = radius // len(chunks)
    found: list[Pairs] = []
    for start, width in chunks:
        keys = _chunk_keys(codes, start, width)
        found.extend(_pairs_for_chunk(codes, keys, width, sub_radius, radius))
    return _unique_pairs(found)


def cross_pairs(queries: np.ndarray, database: np.ndarray, bits: int, radius: int) -> Pairs:
    """Every (query row, database row) within ``radius`` of each other: ``left`` indexes
    ``queries`` and ``right`` indexes ``database`` (the two sets are distinct, so no pair is
    dropped as a self-match and ``left < right`` does not hold)."""
    return cross_pairs_each([queries], database, bits, radius)[0]


def cross_pairs_each(
    query_sets: Sequence[np.ndarray], database: np.ndarray, bits: int, radius: int
) -> list[Pairs]:
    """``cross_pairs`` of each query set against one database, whose chunk tables are built
    once for all (the eight dihedral variants of a few new photos share one library).

    When the queries are few beside the database, a table holds only the database rows whose
    chunk some query probes: a gather over the database instead of sorting all of it, so
    searching a thousand new photos against eight million variant codes costs the
    thousand's probes, not a sort of the eight million."""
    database = _as_codes(database)
    query_sets = [_as_codes(q) for q in query_sets]
    total = sum(len(q) for q in query_sets)
    if not total or not len(database) or radius < 0:
        return [_empty_pairs() for _ in query_sets]
    chunks = _split(bits, _cheapest(bits, radius, total, len(database))[1])
    sub_radius = radius // len(chunks)
    found: list[list[Pairs]] = [[] for _ in query_sets]
    for start, width in chunks:
        masks = np.array(_flip_masks(width, sub_radius), dtype=np.uint64)
        query_keys = [_chunk_keys(q, start, width) for q in query_sets]
        buckets = _buckets_for(_chunk_keys(database, start, width), width, query_keys, masks)
        for queries, keys, out in zip(query_sets, query_keys, found, strict=True):
            for rows, probes in _probe_blocks(keys, masks):
                sizes, slots = buckets.lookup(probes)
                for block_left, right in _expand(sizes, slots, buckets):
                    left = rows[block_left]
                    dist = _cross_distances(queries, database, left, right)
                    close = dist <= radius
                    out.append(
                        Pairs(
                            left[close].astype(np.int64), right[close].astype(np.int64), dist[close]
                        )
                    )
    return [_unique_pairs(pairs) for pairs in found]


_PROBE_BLOCK = 1 << 21
"""Probe keys looked up at once: one array operation per block instead of one per flip mask
(a radius-7 search of 21-bit chunks has 232 masks), in a few tens of MB of scratch."""


def _probe_blocks(keys: np.ndarray, masks: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(query row of each probe, probe key) in blocks of about ``_PROBE_BLOCK`` probes:
    every query's key under every flip mask."""
    if not len(keys):
        return
    per_block = max(1, _PROBE_BLOCK // len(masks))
    for first in range(0, len(keys), per_block):
        block = keys[first : first + per_block]
        probes = (block[:, None] ^ masks[None, :]).ravel()
        rows = np.repeat(np.arange(first, first + len(block), dtype=np.int64), len(masks))
        yield rows, probes


def _buckets_for(
    keys: np.ndarray, width: int, query_keys: Sequence[np.ndarray], masks: np.ndarray
) -> _Buckets:
    """Buckets over the database ``keys``: only the rows some probe reaches, when the probes
    are fewer than the rows and the chunk is narrow enough for a direct table."""
    probes = sum(len(k) for k in query_keys) * len(masks)
    if width > _MAX_TABLE_BITS or probes >= len(keys):
        return _Buckets(keys, width)
    probed = np.zeros(1 << width, dtype=bool)
    for query in query_keys:
        for _rows, block in _probe_blocks(query, masks):
            probed[block.astype(np.intp)] = True
    reached = np.flatnonzero(probed[keys.astype(np.intp)]).astype(np.int32)
    buckets = _Buckets(keys[reached], width)
    buckets.order = reached[buckets.order]
    return buckets


def _cross_distances(
    queries: np.ndarray, database: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    total = np.zeros(left.shape[0], dtype=np.uint16)
    for word in range(queries.shape[1]):
        total += np.bitwise_count(queries[left, word] ^ database[right, word])
    return total


def _split(bits: int, count: int) -> list[tuple[int, int]]:
    base, extra = divmod(bits, count)
    chunks, start = [], 0
    for index in range(count):
        width = base + (1 if index < extra else 0)
        chunks.append((start, width))
        start += width
    return chunks


def _plan_chunks(bits: int, radius: int, n: int) -> list[tuple[int, int]]:
    """Choose the chunk count with the least estimated work: probes x (rows + collisions)."""
    return _split(bits, _cheapest(bits, radius, n, n)[1])


def search_work(bits: int, radius: int, queries: int, database: int) -> float:
    """Estimated work (probes x rows, plus colliding rows compared) of a radius search of
    ``queries`` codes against ``database`` codes of uniformly spread ``bits``: what a
    caller may weigh before asking (it grows steeply with the radius on a large library)."""
    return _cheapest(bits, radius, queries, database)[0]


def _cheapest(bits: int, radius: int, queries: int, database: int) -> tuple[float, int]:
    best: tuple[float, int] | None = None
    for count in range(1, min(bits, radius + 1) + 1):
        width = bits // count
        probes = sum(comb(width, f) for f in range(radius // count + 1))
        cost = count * probes * (queries + queries * database / 2.0**width)
        if best is None or cost < best[0]:
            best = (cost, count)
    assert best is not None
    return best


def _chunk_keys(codes: np.ndarray, start: int, width: int) -> np.ndarray:
    """Bits ``start .. start+width`` (MSB-first numbering) of each code, as uint64 keys."""
    keys = np.zeros(codes.shape[0], dtype=np.uint64)
    bit, left = start, width
    while left:
        word, offset = divmod(bit, 64)
        take = min(left, 64 - offset)  # the part of the chunk that lies in this word
        part = codes[:, word] >> np.uint64(64 - offset - take)
        if take < 64:
            part = part & np.uint64((1 << take) - 1)
            keys = (keys << np.uint64(take)) | part
        else:
            keys = part
        bit, left = bit + take, left - take
    return keys


def _flip_masks(width: int, sub_radius: int) -> list[np.uint64]:
    masks = []
    for flips in range(sub_radius + 1):
        for positions in combinations(range(width), flips):
            mask = 0
            for position in positions:
                mask |= 1 << position
            masks.append(np.uint64(mask))
    return masks


class _Buckets:
    """Rows grouped by chunk key: a direct-address table for narrow chunks, sorted otherwise."""

    def __init__(self, keys: np.ndarray, width: int) -> None:
        self.order = _stable_order(keys, width)
        self.direct = width <= _MAX_TABLE_BITS
        if self.direct:
            counts = np.bincount(keys.astype(np.int64), minlength=1 << width)
            self.unique = None
        else:
            self.unique, counts = np.unique(keys, return_counts=True)
        self.counts = counts.astype(np.int32)
        self.starts = (np.cumsum(counts) - counts).astype(np.int32)

    def lookup(self, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bucket size, bucket slot) for each probe key; size 0 where no row has it."""
        if self.direct:
            slot = probe.astype(np.intp)
            return self.counts[slot], slot
        assert self.unique is not None
        slot = np.minimum(np.searchsorted(self.unique, probe), self.unique.shape[0] - 1)
        hit = self.unique[slot] == probe
        return np.where(hit, self.counts[slot], 0), slot


def _stable_order(keys: np.ndarray, width: int) -> np.ndarray:
    """``argsort(keys, kind="stable")`` as int32, by radix sort where the keys allow it:
    NumPy radix-sorts 16-bit integers (about 9x faster than sorting uint64 here), so keys
    of up to 32 bits are sorted in two stable 16-bit passes, low half first."""
    if width <= 16:
        return np.argsort(keys.astype(np.uint16), kind="stable").astype(np.int32)
    if width <= 32:
        low = np.argsort((keys & np.uint64(0xFFFF)).astype(np.uint16), kind="stable")
        high = (keys[low] >> np.uint64(16)).astype(np.uint16)
        return low[np.argsort(high, kind="stable")].astype(np.int32)
    return np.argsort(keys, kind="stable").astype(np.int32)


def _pairs_for_chunk(
    codes: np.ndarray, keys: np.ndarray, width: int, sub_radius: int, radius: int
) -> list[Pairs]:
    buckets = _Buckets(keys, width)
    rows = np.arange(keys.shape[0], dtype=np.int32)
    found = []
    for mask in _flip_masks(width, sub_radius):
        if mask:
            # key_i ^ mask == key_j exactly when key_j ^ mask == key_i, and only one of the two
            # keys has the mask's top bit clear: probing from that side finds each pair once.
            top = np.uint64(1 << (int(mask).bit_length() - 1))
            probing = rows[(keys & top) == 0]
        else:
            probing = rows
        sizes, slots = buckets.lookup(keys[probing] ^ mask)
        for block_left, block_right in _expand(sizes, slots, buckets):
            left = probing[block_left]
            left, right = np.minimum(left, block_right), np.maximum(left, block_right)
            keep = left < right
            left, right = left[keep], right[keep]
            dist = row_distances(codes, left, right)
            close = dist <= radius
            found.append(
                Pairs(left[close].astype(np.int64), right[close].astype(np.int64), dist[close])
            )
    return found


_EXPAND_BLOCK = 1 << 22
"""Colliding (probe, row) pairs expanded at once: on skewed codes (many photos of one kind
share a chunk) collisions far outnumber close pairs, so they are checked block by block
(about 100 MB of scratch) instead of all at once."""


def _expand(
    sizes: np.ndarray, slots: np.ndarray, buckets: _Buckets
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All (i, j) with row j in the bucket that row i probed (i indexes the probes), in
    blocks of about ``_EXPAND_BLOCK`` pairs."""
    queries = np.flatnonzero(sizes)
    sizes = sizes[queries]
    if not len(queries):
        return
    ends = np.cumsum(sizes, dtype=np.int64)
    cuts = np.searchsorted(ends, np.arange(_EXPAND_BLOCK, int(ends[-1]), _EXPAND_BLOCK))
    bounds = [0, *sorted({int(c) + 1 for c in cuts if 0 <= c < len(queries) - 1}), len(queries)]
    for lo, hi in itertools.pairwise(bounds):
        block, block_sizes = queries[lo:hi], sizes[lo:hi]
        total = int(block_sizes.sum())
        left = np.repeat(block, block_sizes)
        # Position inside each bucket: 0..size-1, built without a Python loop.
        block_ends = np.cumsum(block_sizes)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(
            block_ends - block_sizes, block_sizes
        )
        right = buckets.order[np.repeat(buckets.starts[slots[block]], block_sizes) + offsets]
        yield left, right


def row_distances(codes: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Hamming distance between rows ``left[i]`` and ``right[i]`` of ``codes``, as uint16."""
    total = np.zeros(left.shape[0], dtype=np.uint16)
    for word in range(codes.shape[1]):
        total += np.bitwise_count(codes[left, word] ^ codes[right, word])
    return total


def _unique_pairs(found: list[Pairs]) -> Pairs:
    if not found:
        return _empty_pairs()
    left = np.concatenate([p.left for p in found])
    right = np.concatenate([p.right for p in found])
    dist = np.concatenate([p.distance for p in found])
    if left.shape[0] == 0:
        return _empty_pairs()
    combined = left * (int(right.max()) + 1) + right
    _, first = np.unique(combined, return_index=True)
    return Pairs(left[first], right[first], dist[first])


def _empty_pairs() -> Pairs:
    empty = np.zeros(0, dtype=np.int64)
    return Pairs(empty, empty.copy(), np.zeros(0, dtype=np.uint16))


def _as_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.uint64)
    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, words), got shape {codes.shape}")
    return codes
