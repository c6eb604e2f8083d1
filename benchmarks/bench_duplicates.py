"""Duplicate search at scale, with faiss's figures beside Twinlens's in the same run.

1. **Dense collection**: all duplicate groups of the 60,000 CIFAR-10 images (deliberately
   dense: ten kinds of tiny picture), end to end after indexing (``Library.duplicate_groups``,
   first run and cached run), with the candidate pairs of each source and each verification
   step; faiss beside it: IndexBinaryFlat k-nearest neighbours (the code source's job) and
   IndexBinaryMultiHash range search (the signature source's job) on the same codes.
2. **1,000,000 codes with planted copies**: the candidate step alone (signature variants and
   code neighbours), beside faiss, and its peak memory; and the step as a library runs it,
   with its signature pairs kept (engine/kept_pairs.py): 1,000 photos arriving searched
   against the million, the kept pairs read back, plus the code neighbours.
3. **Geometric verification throughput**: pairs per second on real photo pairs (the cropped
   and tilted copies of the calibration split, and other shots of one object).

    python benchmarks/bench_duplicates.py [--cifar 60000] [--million 1000000] [--skip-cifar]

The CIFAR library is indexed once into cache/bench/ (about 11 minutes on 2 cores) and reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

from twinlens.engine import Library
from twinlens.engine.kept_pairs import FINDER, searched_state
from twinlens.engine.matching.candidates import (
    CandidatePairs,
    code_pairs,
    signature_pairs,
    signature_pairs_of,
)
from twinlens.engine.matching.duplicates import Report
from twinlens.engine.matching.plan import SEMANTIC_NEIGHBOURS, SEMANTIC_RADIUS
from twinlens.engine.matching.verify import SIGNATURE_SEARCH_RADIUS
from twinlens.engine.storage.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared")) / "data"
CACHE = REPO / "cache" / "bench"


def cifar_library(count: int) -> Path:
    """A library of the first ``count`` CIFAR-10 images (train then test) as PNG files."""
    from PIL import Image

    folder = CACHE / f"cifar{count}"
    library = CACHE / f"cifar{count}.twinlens"
    if not folder.is_dir():
        with np.load(SHARED / "cifar10.npz") as data:
            pixels = np.concatenate([data["x_train"], data["x_test"]])[:count]
        partial = folder.with_name(folder.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(pixels):
            sub = partial / f"{index // 1000:03d}"
            sub.mkdir(exist_ok=True)
            Image.fromarray(image).save(sub / f"{index:05d}.png")
        partial.replace(folder)
    started = time.perf_counter()
    with Library(library) as lib:
        summary = lib.run_scan(lib.add_roots([folder]))
    if summary.encoded:
        print(f"indexed {summary.encoded} images in {time.perf_counter() - started:.0f} s")
    return library


def bench_cifar(count: int) -> None:
    import faiss

    path = cifar_library(count)
    with Library(path) as library:
        library.store.forget_verdicts()  # a first run: nothing cached
        collection = library.collection()
        for label in ("first run", "cached run"):
            report = Report()
            started = time.perf_counter()
            groups = library.duplicate_groups(report=report)
            elapsed = time.perf_counter() - started
            print(f"  Twinlens dupes, {label}: {elapsed:.2f} s, {len(groups)} groups")
        print(
            f"    candidates: signature {report.signature_pairs}, code neighbours"
            f" {report.code_pairs}, united {report.candidates}; verified: global"
            f" {report.global_verified}, geometric {report.geometric_verified} of"
            f" {report.geometric_checked} checked"
        )
        codes = collection.codes["semantic"]
    data = np.ascontiguousarray(codes.astype(">u8").view(np.uint8).reshape(-1, 8))
    started = time.perf_counter()
    flat = faiss.IndexBinaryFlat(64)
    flat.add(data)
    flat.search(data, 6)
    print(f"  faiss IndexBinaryFlat 6-NN of every code: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    ours = code_pairs(codes, 64, SEMANTIC_NEIGHBOURS, SEMANTIC_RADIUS)
    print(
        f"  Twinlens code neighbours (k {SEMANTIC_NEIGHBOURS}, radius <= {SEMANTIC_RADIUS}):"
        f" {time.perf_counter() - started:.2f} s,"
        f" {len(ours)} pairs"
    )


def planted(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clustered random codes (semantic-like), signature bits, and 2 % planted near-copies
    (one flipped bit in each): the (original, copy) rows of those copies."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2**63, size=max(1, n // 200), dtype=np.uint64)
    codes = centres[rng.integers(0, len(centres), size=n)]
    for _ in range(14):  # each code ~14 random flips from its cluster centre
        codes ^= np.uint64(1) << rng.integers(0, 64, size=n, dtype=np.uint64)
    signatures = rng.integers(0, 2**63, size=n, dtype=np.uint64)
    copies = n // 50
    source = rng.choice(n // 2, size=copies, replace=False)
    target = n // 2 + rng.choice(n // 2, size=copies, replace=False)
    codes[target] = codes[source] ^ (
        np.uint64(1) << rng.integers(0, 64, size=copies, dtype=np.uint64)
    )
    signatures[target] = signatures[source] ^ (
        np.uint64(1) << rng.integers(0, 64, size=copies, dtype=np.uint64)
    )
    return codes.reshape(-1, 1), signatures, np.stack([source, target], axis=1)


ARRIVING = 1_000
"""Photos added to the million-code library between two searches (a day's import)."""


def time_kept_pairs(n: int, pairs: CandidatePairs) -> float:
    """Seconds to read ``pairs`` and ``n`` searched marks back from a library (what a dupes
    reads instead of searching the signatures again)."""
    import tempfile

    hashes = [f"{i:064x}" for i in range(n)]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "kept.twinlens")
        kept = [
            (hashes[i], hashes[j], int(d), int(v))
            for i, j, d, v in zip(
                pairs.left, pairs.right, pairs.signature_distance, pairs.variant, strict=True
            )
        ]
        store.add_signature_pairs(FINDER, kept, hashes, [])
        started = time.perf_counter()
        fresh, absent = searched_state(store, hashes)
        found = store.signature_pairs(FINDER)
        elapsed = time.perf_counter() - started
        store.close()
    if fresh.any() or absent or len(found) != len(pairs):
        raise RuntimeError("the kept pairs did not read back whole")
    return elapsed


def bench_million(n: int) -> None:
    import faiss

    codes, signatures, copies = planted(n)
    # All eight variants of every signature, as the engine searches them.
    variants = np.stack([signatures] * 8, axis=1).reshape(n, 8, 1)
    rng = np.random.default_rng(3)
    for v in range(1, 8):
        variants[:, v, 0] = rng.integers(0, 2**63, size=n, dtype=np.uint64)
    has = np.ones(n, dtype=bool)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    by_signature = signature_pairs(variants, has, SIGNATURE_SEARCH_RADIUS)
    middle = time.perf_counter()
    by_code = code_pairs(codes, 64, SEMANTIC_NEIGHBOURS, SEMANTIC_RADIUS)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"  Twinlens candidates over {n:,}: signature variants, whole library once"
        f" {middle - started:.2f} s ({len(by_signature)} pairs), code neighbours"
        f" {done - middle:.2f} s ({len(by_code)} pairs); peak RSS {peak / 1024:.0f} MB"
        f" (+{(peak - before) / 1024:.0f})"
    )
    arrived = np.arange(n - ARRIVING, n)
    started = time.perf_counter()
    added = signature_pairs_of(variants, has, arrived, SIGNATURE_SEARCH_RADIUS)
    searched = time.perf_counter() - started
    kept_read = time_kept_pairs(n, by_signature)
    print(
        f"  Twinlens signature pairs kept in the library: {ARRIVING:,} photos arriving in a"
        f" library of {n:,} searched in {searched:.2f} s ({len(added)} pairs); reading the"
        f" kept pairs and the searched marks back {kept_read:.2f} s; candidates of a dupes"
        f" after they arrive: {searched + kept_read + done - middle:.2f} s"
    )
    wanted = copies[:, 0].astype(np.int64) * n + copies[:, 1]
    for label, found in (("signatures", by_signature), ("code neighbours", by_code)):
        have = np.isin(wanted, found.left.astype(np.int64) * n + found.right)
        print(
            f"    planted copies among the {label}' candidates: {have.sum():,} of {len(wanted):,}"
        )
    data = np.ascontiguousarray(signatures.astype(">u8").view(np.uint8).reshape(-1, 8))
    started = time.perf_counter()
    # Four 16-bit tables probed at one flip each: the same guarantee (7 bits) as ours.
    index = faiss.IndexBinaryMultiHash(64, 4, 16)
    index.nflip = 1
    index.add(data)
    index.range_search(data, SIGNATURE_SEARCH_RADIUS + 1)  # faiss's radius is exclusive
    print(
        f"  faiss IndexBinaryMultiHash range search <= {SIGNATURE_SEARCH_RADIUS} bits"
        f" (one variant only): {time.perf_counter() - started:.2f} s"
    )


def bench_geometry() -> None:
    from twinlens.engine.matching.evidence import load_grey
    from twinlens.engine.matching.pixels import local_features
    from twinlens.engine.matching.verify import Picture, geometric_verdict

    folder = REPO / "cache" / "dupeval" / "calibration"
    if not folder.is_dir():
        print("  (no calibration photos: run python -m twinlens.training.calibration.duplicates)")
        return
    pairs = []
    for original in sorted(folder.glob("*.png"))[:10] + sorted(folder.glob("ukbench*.jpg"))[:10]:
        if original.stem.count("."):
            continue
        for kind in ("crop_80", "tilt_5", "letterbox"):
            copy = next(folder.glob(f"{original.stem}.{kind}.*"), None)
            if copy is not None:
                pairs.append((original, copy))
    pictures = {p: Picture(0, 0, None, (str(p),)) for pair in pairs for p in pair}
    started = time.perf_counter()
    features = {p: local_features(load_grey(pic)) for p, pic in pictures.items()}  # type: ignore[arg-type]
    decoded = time.perf_counter()
    verified = sum(
        bool(geometric_verdict(pictures[a], pictures[b], features[a], features[b]).tier)
        for a, b in pairs
    )
    matched = time.perf_counter()
    print(
        f"  geometric verification: {len(pictures)} pictures decoded + keypoints in"
        f" {decoded - started:.1f} s ({len(pictures) / (decoded - started):.1f}/s);"
        f" {len(pairs)} pairs matched in {matched - decoded:.2f} s"
        f" ({len(pairs) / (matched - decoded):.0f} pairs/s), {verified} verified"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cifar", type=int, default=60_000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument("--skip-cifar", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{platform.platform()}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs,"
        f" load {load:.1f}"
    )
    if not args.skip_cifar:
        print(f"Dense collection: {args.cifar:,} CIFAR-10 images")
        bench_cifar(args.cifar)
    print(f"Candidates over {args.million:,} codes with planted copies")
    bench_million(args.million)
    print("Geometric verification on real photos")
    bench_geometry()


if __name__ == "__main__":
    main()
