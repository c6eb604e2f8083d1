"""Cluster indexing throughput on 12-megapixel JPEGs, beside a local ``twinlens scan``.

The same N photos as bench_indexing.py (made once from ../shared/data/photos), in the same
run:
- ``twinlens scan``: the local scanner (the CLI, a fresh library; wall time of the process);
- ``twinlens cluster scan``: a local Ray instance of ``--cpus`` CPUs (the CLI, fresh output
  folder; wall time of the process, Ray's start included), then its steady rate (from the
  first indexed batch to the last, read from its progress, in-process);
- ``twinlens import`` of the shards into a fresh library;
- the local scanner again, in-process with the model loaded (bench_indexing.py's figure).

Prints photos/s and photos/s per CPU core: the figures docs/scale.md estimates from.

    python benchmarks/bench_cluster.py [--n 200] [--cpus 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_indexing import CACHE, SIZE, make_photos, time_twinlens


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def steady_rate(folder: Path, out: Path, cpus: int) -> tuple[float, float, int]:
    """(photos/s from the first indexed batch to the last, seconds to the first, photos)."""
    from twinlens.engine import ClusterOptions, cluster_scan

    job = cluster_scan([folder], out, ClusterOptions(num_cpus=cpus))
    start = time.perf_counter()
    first: float | None = None
    first_done = 0
    done = 0
    try:
        while True:
            progress = next(job)
            if progress.phase == "indexing" and progress.done > 0:
                if first is None:
                    first, first_done = time.perf_counter(), progress.done
                done = progress.done
    except StopIteration:
        pass
    end = time.perf_counter()
    assert first is not None
    return (done - first_done) / max(end - first, 1e-9), first - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = make_photos(args.n)
    # Hard links (the scanners never follow a symbolic link: a link is not a photo).
    folder = Path(tempfile.mkdtemp(dir=CACHE.parent))
    for path in paths:
        os.link(path, folder / path.name)
    for path in paths:  # into the page cache: the first timed run must not pay the disk alone
        path.read_bytes()
    mb = sum(p.stat().st_size for p in paths) / 1e6
    twinlens = [str(Path(sys.executable).parent / "twinlens")]
    print(f"{args.n} JPEGs of {SIZE[0]}x{SIZE[1]} ({mb:.0f} MB) from {CACHE}")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run")
    with tempfile.TemporaryDirectory() as temp:
        env = dict(os.environ, TWINLENS_LIBRARY=str(Path(temp) / "local.twinlens"))
        local = timed([*twinlens, "scan", str(folder)], env)
        out = Path(temp) / "shards"
        cluster = timed(
            [
                *twinlens,
                "cluster",
                "scan",
                str(folder),
                "--out",
                str(out),
                "--cpus",
                str(args.cpus),
            ],
            env,
        )
        env["TWINLENS_LIBRARY"] = str(Path(temp) / "imported.twinlens")
        merged = timed([*twinlens, "import", str(out)], env)
        rate, startup, done = steady_rate(folder, Path(temp) / "shards-2", args.cpus)
        in_process, _ = time_twinlens(folder)
    shutil.rmtree(folder)
    print(f"  twinlens scan (local, whole process)       {args.n / local:6.1f} photos/s")
    print(
        f"  local scan in-process, model loaded        {args.n / in_process:6.1f} photos/s"
        f"  = {args.n / in_process / (os.cpu_count() or 1):.1f} photos/s per CPU core"
    )
    print(
        f"  twinlens cluster scan --cpus {args.cpus} (whole)    {args.n / cluster:6.1f} photos/s"
        f"  ({cluster:.1f} s, Ray's start included)"
    )
    print(
        f"  cluster scan, steady (first batch to last) {rate:6.1f} photos/s"
        f"  = {rate / args.cpus:.1f} photos/s per CPU core ({startup:.1f} s to the first"
        f" batch, {done} photos)"
    )
    print(f"  twinlens import of the shards              {args.n / merged:6.1f} records/s (whole)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
