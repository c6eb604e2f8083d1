"""Indexing throughput on 12-megapixel JPEGs, end to end, against imagehash's pHash.

Makes N distinct 4000x3000 JPEGs from the real photos in ../shared/data/photos (once, cached
in cache/bench-12mp), then in the same run times:
- ``imagehash.phash``: open + pHash of every file (the usual peer's loop; no storage at all),
  in one process and in one process per core (multiprocessing over the same files);
- ``twinlens``: a fresh library scanning the folder (walk, hash, decode, preprocess, ONNX
  inference, SQLite writes) with the shipped model, and with ``--model FILE`` (for example
  an INT8 file from ``python -m twinlens.training.export.quantize``) too;
- with ``--stages``, where the time goes per photo, each step alone on one thread.
Each figure is the best of ``--rounds`` rounds; in a round every contender runs once, in turn.
With ``--memory`` it also scans growing libraries in subprocesses and prints peak RSS, which
must stay flat as the library grows.

    python benchmarks/bench_indexing.py [--n 200] [--model FILE] [--stages] [--memory]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared"))
CACHE = REPO / "cache" / "bench-12mp"
SIZE = (4000, 3000)
CORES = os.cpu_count() or 1


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


# -- the contenders ---------------------------------------------------------------------------


def time_twinlens(folder: Path, model: Path | None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all threads) and photos encoded of one fresh scan."""
    from twinlens.engine.library import Library

    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "b.twinlens", model) as library:
        library.encoder  # noqa: B018 - load the model before the clock starts, as the app does
        cpu, start = time.process_time(), time.perf_counter()
        summary = library.run_scan([folder])
        return time.perf_counter() - start, time.process_time() - cpu, summary.encoded


def _phash(path: Path) -> str:
    import imagehash

    with Image.open(path) as image:
        return str(imagehash.phash(image))


def time_phash(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        _phash(path)
    return time.perf_counter() - start


def time_phash_parallel(paths: list[Path], processes: int) -> float:
    """pHash over the same files in ``processes`` worker processes (started off the clock)."""
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_phash, paths[:processes])  # import imagehash in every worker first
        start = time.perf_counter()
        pool.map(_phash, paths, chunksize=4)
        return time.perf_counter() - start


# -- where the time goes ---------------------------------------------------------------------


def stage_times(paths: list[Path], model: Path | None) -> dict[str, float]:
    """Milliseconds per photo of each indexing step, run alone on one thread."""
    from twinlens.engine.config import EngineConfig
    from twinlens.engine.indexing.pipeline import Pipeline, Prepared, _facts
    from twinlens.engine.media.decode import decode_photo
    from twinlens.engine.media.files import hash_bytes
    from twinlens.engine.model.codes import to_blob
    from twinlens.engine.model.encoder import Encoder
    from twinlens.engine.model.preprocess import to_array
    from twinlens.engine.storage.store import Store

    config = EngineConfig.from_env()
    encoder = Encoder(model, threads=1, cpu_only=True)
    pipeline = Pipeline(encoder, config)
    pre = encoder.meta.preprocess
    totals: dict[str, float] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = step()
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - start
        return result

    prepared = []
    for path in paths:
        data: bytes = timed("read file", path.read_bytes)  # type: ignore[assignment]
        content = str(timed("content hash", lambda d=data: hash_bytes(d)))
        decoded = timed(
            "decode (1/8 JPEG draft, EXIF)",
            lambda p=path, d=data: decode_photo(
                p, min_size=pre.height, data=d, max_side=config.decode.working_side
            ),
        )
        item = Prepared(str(path), len(data), 0, content)
        item.facts = timed(
            "facts (thumbnail, signatures)", lambda d=decoded, c=content: _facts(c, d)
        )  # type: ignore[arg-type]
        item.pixels = timed(
            "preprocess (resize, normalise)", lambda d=decoded: to_array(d.image, pre)
        )  # type: ignore[arg-type,attr-defined]
        prepared.append(item)
    batches = [
        prepared[lo : lo + config.batch_size] for lo in range(0, len(prepared), config.batch_size)
    ]
    pipeline.encode(batches[0])  # warm up: the first run allocates onnxruntime's arena
    for batch in batches:
        timed("inference (batch 32, 1 thread)", lambda b=batch: pipeline.encode(b))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.twinlens")
        for batch in batches:
            files = [(p.path, p.size, p.mtime_ns, p.hash or "") for p in batch]
            codes = [
                (p.hash, encoder.meta.key, k, to_blob(w)) for p in batch for k, w in p.codes.items()
            ]
            timed(
                "storage (one transaction a batch)",
                lambda f=files, b=batch, c=codes: store.record_indexed(
                    f,
                    [p.facts for p in b if p.facts],
                    c,  # type: ignore[arg-type]
                ),
            )
        store.close()
    return {name: 1000 * seconds / len(paths) for name, seconds in totals.items()}


def peak_rss_mb(n: int) -> float:
    """Peak RSS of a fresh process that scans the first n photos."""
    code = (
        "import sys, resource, tempfile, pathlib, shutil\n"
        "from twinlens.engine.library import Library\n"
        "src = pathlib.Path(sys.argv[1]); n = int(sys.argv[2])\n"
        "with tempfile.TemporaryDirectory() as t:\n"
        "    d = pathlib.Path(t) / 'photos'; d.mkdir()\n"
        "    for p in sorted(src.glob('*.jpg'))[:n]: shutil.copyfile(p, d / p.name)\n"
        "    with Library(pathlib.Path(t) / 'l.twinlens') as lib: lib.run_scan([d])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(CACHE), str(n)], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


# -- the report ------------------------------------------------------------------------------


def run_rounds(
    paths: list[Path], folder: Path, models: dict[str, Path | None], rounds: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Best photos/s of every contender, and the CPU use of each Twinlens scan (in cores)."""
    best: dict[str, float] = {}
    busy: dict[str, float] = {}
    for _ in range(rounds):
        rates = {
            "pHash, 1 process": len(paths) / time_phash(paths),
            f"pHash, {CORES} processes": len(paths) / time_phash_parallel(paths, CORES),
        }
        for label, model in models.items():
            wall, cpu, encoded = time_twinlens(folder, model)
            if encoded != len(paths):
                sys.exit(f"{label}: encoded {encoded} of {len(paths)} photos")
            rates[label] = len(paths) / wall
            if rates[label] >= best.get(label, 0.0):
                busy[label] = cpu / wall
        for label, rate in rates.items():
            best[label] = max(best.get(label, 0.0), rate)
    return best, busy


def report(best: dict[str, float], busy: dict[str, float]) -> None:
    peers = [label for label in best if label.startswith("pHash")]
    for label, rate in best.items():
        line = f"  {label:34s} {rate:7.1f} photos/s"
        if label in busy:
            ratios = ", ".join(f"{rate / best[p]:.2f}x {p}" for p in peers)
            line += f"  ({ratios}; CPU busy {busy[label]:.2f} of {CORES} cores)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--model", type=Path, help="also scan with this model file")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--stages", action="store_true", help="time each step alone")
    parser.add_argument("--memory", action="store_true", help="also measure peak RSS")
    args = parser.parse_args()
    paths = make_photos(args.n)
    folder = CACHE
    if len(list(CACHE.glob("*.jpg"))) != args.n:
        # Hard links, not symlinks: the scanner never follows a link (a link is not a photo).
        folder = Path(tempfile.mkdtemp(dir=CACHE.parent))
        for path in paths:
            os.link(path, folder / path.name)
    for path in paths:  # every contender reads from the page cache, the first one too
        path.read_bytes()
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{args.n} JPEGs of {SIZE[0]}x{SIZE[1]} ({mb:.0f} MB), {CORES} cores")
    models: dict[str, Path | None] = {"twinlens scan, shipped model": None}
    if args.model:
        models[f"twinlens scan, {args.model.name}"] = args.model
    report(*run_rounds(paths, folder, models, args.rounds))
    if args.stages:
        for label, model in models.items():
            print(f"  per photo, each step alone on one thread ({label}):")
            times = stage_times(paths[:64], model)
            for name, ms in times.items():
                print(f"    {name:38s} {ms:6.1f} ms")
            print(f"    {'total':38s} {sum(times.values()):6.1f} ms")
    if args.memory:
        for n in (args.n // 4, args.n // 2, args.n):
            print(f"  peak RSS scanning {n:5d} photos: {peak_rss_mb(n):7.1f} MB")


if __name__ == "__main__":
    main()
