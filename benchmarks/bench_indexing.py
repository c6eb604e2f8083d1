"""Indexing throughput on 12-megapixel JPEGs, end to end, against imagehash's pHash.

Makes N distinct 4000x3000 JPEGs from the real photos in ../shared/data/photos (once, cached
in cache/bench-12mp), then in the same run times:
- ``twinlens``: a fresh library scanning the folder (walk, hash, decode, preprocess, ONNX
  inference, SQLite writes);
- ``imagehash.phash``: open + pHash of every file (the usual peer's loop; no storage at all).
With ``--memory`` it also scans growing libraries in subprocesses and prints peak RSS, which
must stay flat as the library grows.

    python benchmarks/bench_indexing.py [--n 200] [--memory]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared"))
CACHE = REPO / "cache" / "bench-12mp"
SIZE = (4000, 3000)


def make_photos(n: int) -> list[Path]:
    """N distinct 12 MP JPEGs (crops and tints of the real photos), made once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    sources = sorted((SHARED / "data" / "photos").glob("*/*.png")) + sorted(
        (SHARED / "data" / "photos" / "ukbench").glob("*.jpg")
    )
    if not sources:
        sys.exit(f"no real photos under {SHARED}/data/photos")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = CACHE / f"photo_{i:04d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        with Image.open(sources[i % len(sources)]) as source:
            image = source.convert("RGB")
        w, h = image.size
        dx, dy = rng.integers(0, w // 10), rng.integers(0, h // 10)
        image = image.crop((dx, dy, w - w // 10 + dx, h - h // 10 + dy)).resize(SIZE, Image.BICUBIC)
        tint = np.clip(np.asarray(image, np.float32) * rng.uniform(0.9, 1.1, 3), 0, 255)
        Image.fromarray(tint.astype(np.uint8)).save(path, quality=92)
    return paths


def time_twinlens(folder: Path) -> tuple[float, int]:
    from twinlens.engine.library import Library

    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "bench.twinlens") as library:
        library.encoder  # noqa: B018 - load the model before the clock starts, as the app does
        start = time.perf_counter()
        summary = library.run_scan([folder])
        return time.perf_counter() - start, summary.encoded


def time_phash(paths: list[Path]) -> float:
    import imagehash

    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            imagehash.phash(image)
    return time.perf_counter() - start


def peak_rss_mb(n: int) -> float:
    """Peak RSS of a fresh process that scans the first n photos."""
    code = (
        "import sys, resource, tempfile, pathlib, shutil\n"
        "from twinlens.engine.library import Library\n"
        "src = pathlib.Path(sys.argv[1]); n = int(sys.argv[2])\n"
        "with tempfile.TemporaryDirectory() as t:\n"
        "    d = pathlib.Path(t) / 'photos'; d.mkdir()\n"
        "    for p in sorted(src.glob('*.jpg'))[:n]: (d / p.name).symlink_to(p)\n"
        "    with Library(pathlib.Path(t) / 'l.twinlens') as lib: lib.run_scan([d])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(CACHE), str(n)], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--memory", action="store_true", help="also measure peak RSS")
    args = parser.parse_args()
    paths = make_photos(args.n)
    folder = CACHE
    if len(list(CACHE.glob("*.jpg"))) != args.n:
        folder = Path(tempfile.mkdtemp())
        for path in paths:
            (folder / path.name).symlink_to(path)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{args.n} JPEGs of {SIZE[0]}x{SIZE[1]} ({mb:.0f} MB), {os.cpu_count()} cores")
    ours, encoded = time_twinlens(folder)
    theirs = time_phash(paths)
    print(f"  twinlens scan (fresh library)  {args.n / ours:7.1f} photos/s  ({encoded} encoded)")
    print(f"  imagehash.phash                {args.n / theirs:7.1f} photos/s")
    print(f"  twinlens / pHash speed         {theirs / ours:7.2f}x")
    if args.memory:
        for n in (args.n // 4, args.n // 2, args.n):
            print(f"  peak RSS scanning {n:5d} photos: {peak_rss_mb(n):7.1f} MB")


if __name__ == "__main__":
    main()
