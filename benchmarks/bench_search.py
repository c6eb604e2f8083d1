"""Hamming search speed on 1,000,000 64-bit codes, against faiss in the same run.

Prints: single-query top-10 latency (Twinlens CodeIndex vs faiss IndexBinaryFlat), and the
time to find every duplicate group within radius 4 over a library with planted
near-duplicates (Twinlens multi-index all-pairs + clique grouping vs faiss
IndexBinaryMultiHash range search, which returns pairs only, no groups).

    python benchmarks/bench_search.py [--n 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from twinlens.engine.matching import hamming
from twinlens.engine.matching.groups import Candidate, code_groups, tiers_by_distance


def planted_codes(n: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """Random codes where 2% of rows are near-copies (1-4 bits flipped) of another row."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2)
    codes |= rng.integers(0, 2, size=n, dtype=np.uint64)
    copies = n // 50
    sources = rng.choice(n // 2, size=copies, replace=False)
    targets = n // 2 + rng.choice(n // 2, size=copies, replace=False)
    flips = np.zeros(copies, dtype=np.uint64)
    for k in range(4):
        bit = rng.integers(0, 64, size=copies, dtype=np.uint64)
        use = rng.random(copies) < (1.0 if k == 0 else 0.5)
        flips ^= np.where(use, np.uint64(1) << bit, np.uint64(0))
    codes[targets] = codes[sources] ^ flips
    return codes.reshape(-1, 1), copies


def as_faiss_bytes(codes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(codes.astype(">u8").view(np.uint8).reshape(-1, 8))


def bench_top_k(codes: np.ndarray, queries: int) -> None:
    import faiss

    rng = np.random.default_rng(1)
    picks = rng.choice(codes.shape[0], size=queries, replace=False)
    index = hamming.CodeIndex(codes)
    index.top_k(codes[0], 10)
    start = time.perf_counter()
    ours = [index.top_k(codes[i], 10) for i in picks]
    ours_ms = (time.perf_counter() - start) / queries * 1e3

    flat = faiss.IndexBinaryFlat(64)
    data = as_faiss_bytes(codes)
    flat.add(data)
    flat.search(data[:1], 10)
    start = time.perf_counter()
    theirs = [flat.search(data[i : i + 1], 10) for i in picks]
    faiss_ms = (time.perf_counter() - start) / queries * 1e3
    start = time.perf_counter()
    flat.search(data[picks], 10)
    faiss_batch_ms = (time.perf_counter() - start) / queries * 1e3

    agree = sum(
        np.array_equal(np.sort(o[1]), np.sort(t[0][0].astype(np.uint16)))
        for o, t in zip(ours, theirs, strict=True)
    )
    print(f"top-10, one query at a time ({queries} queries over {codes.shape[0]:,} codes):")
    print(f"  twinlens CodeIndex.top_k      {ours_ms:8.3f} ms/query")
    print(f"  faiss IndexBinaryFlat.search  {faiss_ms:8.3f} ms/query")
    print(f"  (faiss, all {queries} queries in one batched call: {faiss_batch_ms:.3f} ms/query)")
    print(f"  same distances on {agree}/{queries} queries")


def bench_groups(codes: np.ndarray, planted: int) -> None:
    import faiss

    n = codes.shape[0]
    candidates = [Candidate(str(i), (str(i),), (0,), 0, 0, 0, "", "") for i in range(n)]
    start = time.perf_counter()
    pairs = hamming.all_pairs(codes, 64, 4)
    pairs_s = time.perf_counter() - start
    start = time.perf_counter()
    groups, _ = code_groups(candidates, codes, 64, 4, tiers_by_distance(1))
    groups_s = time.perf_counter() - start

    data = as_faiss_bytes(codes)
    multi = faiss.IndexBinaryMultiHash(64, 3, 21)
    multi.nflip = 1  # radius 4 over 3 chunks: every pair within 4 shares a chunk within 1 bit
    start = time.perf_counter()
    multi.add(data)
    lims, _, _ = multi.range_search(data, 5)  # faiss's radius is exclusive: < 5 means <= 4
    faiss_s = time.perf_counter() - start
    faiss_pairs = (int(lims[-1]) - n) // 2
    print(f"all groups within radius 4 over {n:,} codes ({planted:,} planted near-copies):")
    print(f"  twinlens all_pairs            {pairs_s:8.2f} s  ({len(pairs):,} pairs)")
    print(f"  twinlens pairs + groups       {groups_s:8.2f} s  ({len(groups):,} groups)")
    print(f"  faiss IndexBinaryMultiHash    {faiss_s:8.2f} s  ({faiss_pairs:,} pairs, no groups)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    import faiss

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, faiss"
        f" {faiss.__version__} with {faiss.omp_get_max_threads()} threads, numpy"
        f" {np.__version__}"
    )
    codes, planted = planted_codes(args.n)
    bench_top_k(codes, args.queries)
    bench_groups(codes, planted)


if __name__ == "__main__":
    main()
