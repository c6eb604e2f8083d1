"""A 1,000,000-photo library on one machine: info, dupes, similar, the app, watch, memory.

Builds (once, cached in cache/bench-million) a library of ``--photos`` file records written
through the storage layer (``Store.record_indexed``, as a scan writes them), with codes
clustered the way real photo codes are: every record starts from the shipped model's real
codes (every kind the model has) and pixel signature of a CIFAR-10 image or of a real photo
(../shared/data), with noise on both (distinct photos that look alike to the model), plus
planted duplicate groups (the same photo's codes within a few bits and its signature within
a hair, and byte copies).

Then measures each figure in a fresh process (peak RSS is that process's own), beside the
peer of the same run where one exists:
- ``twinlens info`` (the CLI, whole process) and ``Library`` open + ``info()`` in-process;
- ``twinlens dupes --json`` (all groups, the CLI, whole process) and in-process, beside faiss
  ``IndexBinaryFlat`` k-nearest neighbours of the same codes (the code sources' job);
- one ``similar`` query with a 12 MP JPEG (``Library.search_file``: top-10 and the
  "already in your library?" verdict), cold and warm, beside faiss ``IndexBinaryFlat``;
- the app's startup to a usable window and scrolling: benchmarks/bench_desktop.py driven at
  ``--photos`` photos;
- ``watch``'s reconcile of an unchanged tree of ``--watch-files`` real files, extrapolated
  linearly to ``--photos``;
- the library file's size per photo.

    python benchmarks/bench_million.py [--photos 1000000] [--watch-files 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared"))
CACHE = REPO / "cache" / "bench-million"
QUERY = REPO / "cache" / "bench-12mp" / "photo_0000.jpg"
CIFAR_BASES = 10_000
CHUNK = 50_000
NOISE = 0.2
PIXEL_NOISE = 50.0
"""Standard deviation of the grey-level noise that makes a distinct photo's 32x32 thumbnail
from its base image's. Two photos of one base then differ as other shots of one object do
(docs/calibration.md: signatures 10 bits apart at the 5th percentile, correlation <= 0.82):
here signatures 6 bits apart or more in 95 % of pairs (median 12) and thumbnail correlation
0.79 or less in 99 % (measured on 3,000 pairs of these bases)."""
COPY_NOISE = 2.0
"""Grey-level noise of a planted copy's thumbnail (a recompression)."""
"""Probability that each code bit of a distinct photo differs from its base image's."""
GROUPS_PER_PHOTO = 1 / 50
"""Planted duplicate groups per photo (2 to 4 files each; some byte-identical copies)."""


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would count the parent's, inherited at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the codes: real ones from the shipped model, then noise ------------------------------


def base_images() -> list[Any]:
    """CIFAR-10 test images, and the real photos with three other framings of each."""
    from PIL import Image

    cifar = np.load(SHARED / "data" / "cifar10.npz")["x_test"][:CIFAR_BASES]
    images = [Image.fromarray(x) for x in cifar]
    photos = sorted((SHARED / "data" / "photos").glob("*/*.png")) + sorted(
        (SHARED / "data" / "photos").glob("*/*.jpg")
    )
    rng = np.random.default_rng(1)
    for photo in photos:
        try:
            with Image.open(photo) as image:
                rgb = image.convert("RGB")
        except OSError:  # the shared data holds deliberately corrupt files
            continue
        images.append(rgb)
        w, h = rgb.size
        for _ in range(3):  # other framings of the same real scene
            dx, dy = int(rng.integers(0, w // 5)), int(rng.integers(0, h // 5))
            images.append(rgb.crop((dx, dy, dx + w * 4 // 5, dy + h * 4 // 5)))
    return images


def base_codes() -> tuple[np.ndarray, np.ndarray]:
    """Real codes of the shipped model, (N, kinds) uint64 in ``code_kinds()`` order, and 32x32
    verification thumbnails of the base images (cached per model: encoding ten thousand
    images takes minutes)."""
    from twinlens.engine.media.signature import thumbnail
    from twinlens.engine.model.encoder import Encoder

    encoder = Encoder()
    path = CACHE / f"bases-{encoder.meta.key.replace('@', '-')}.npz"
    images = base_images()
    thumbs = np.stack([thumbnail(im) for im in images])
    if path.exists():
        return np.load(path)["codes"], thumbs
    from twinlens.engine.config import EngineConfig
    from twinlens.engine.indexing.pipeline import Pipeline

    pipeline = Pipeline(encoder, EngineConfig())
    codes = []
    for start in range(0, len(images), 64):
        batch = [pipeline.prepare_image(im, "base") for im in images[start : start + 64]]
        pipeline.encode(batch)
        codes += [[int(p.codes[kind][0]) for kind in code_kinds()] for p in batch]
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, codes=np.array(codes, dtype=np.uint64))
    return np.array(codes, dtype=np.uint64), thumbs


def code_kinds() -> list[str]:
    """The shipped model's code kinds (semantic first): a record stores one code of each."""
    from twinlens.engine.model.encoder import Encoder

    return list(Encoder().meta.code_kinds)


def noisy(thumbs: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(thumbs + rng.normal(0, sd, thumbs.shape), 0, 255).astype(np.uint8)


def facts_of(content: str, thumb: np.ndarray, taken: str) -> Any:
    """A content's stored facts, its signature computed from its thumbnail as a scan does."""
    from twinlens.engine.media.signature import signature_of, thumbnail_blob, to_blob
    from twinlens.engine.storage.store import ContentFacts

    signature = to_blob(signature_of(thumb))
    return ContentFacts(
        content, 4000, 3000, "JPEG", "Bench", taken, signature, thumbnail_blob(thumb), 0.3, 92
    )


def flip(codes: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Each code of each kind ((N, kinds) uint64) with each bit flipped at ``probability``."""
    bits = rng.random((*codes.shape, 64)) < probability
    mask = np.packbits(bits, axis=-1, bitorder="big").view(">u8").astype(np.uint64)
    return codes ^ mask.reshape(codes.shape)


def flip_exactly(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row's code of each kind with exactly ``counts[i]`` bits flipped (a planted copy's
    distance; the bits are drawn apart for each kind)."""
    out = codes.copy()
    for i, k in enumerate(counts.tolist()):
        for kind in range(codes.shape[1]):
            for bit in rng.choice(64, size=k, replace=False).tolist():
                out[i, kind] ^= np.uint64(1) << np.uint64(63 - bit)
    return out


# -- the library ------------------------------------------------------------------------


def build(library_path: Path, photos: int, query: tuple[np.ndarray, np.ndarray]) -> dict[str, Any]:
    """Write ``photos`` file records (and their contents and codes) through the Store."""
    from twinlens.engine.model.codes import to_blob
    from twinlens.engine.model.encoder import Encoder
    from twinlens.engine.storage.store import Store

    model = Encoder().meta.key
    kinds = code_kinds()
    codes, thumbs = base_codes()
    rng = np.random.default_rng(7)
    root = CACHE / "photos"
    store = Store(library_path)
    store.add_roots([root])
    start = time.perf_counter()
    planted = planted_records(codes, thumbs, query, rng, int(photos * GROUPS_PER_PHOTO))
    distinct = photos - len(planted)
    written = 0
    for first in range(0, photos, CHUNK):
        last = min(photos, first + CHUNK)
        records: list[tuple[np.ndarray, np.ndarray, str]] = []  # (codes, thumbnail, hash)
        lo, hi = first, min(last, distinct)
        if hi > lo:
            bases = rng.integers(len(codes), size=hi - lo)
            near = flip(codes[bases], NOISE, rng)
            pictures = noisy(thumbs[bases], PIXEL_NOISE, rng)
            records += [(c, pictures[k], f"{lo + k:032x}") for k, c in enumerate(near)]
        if last > distinct:
            records += planted[max(first, distinct) - distinct : last - distinct]
        seen: set[str] = set()
        facts, stored, files = [], [], []
        for k, (code, thumb, content) in enumerate(records, first):
            files.append((_path(root, k), 2_000_000 + k, 1_600_000_000_000_000_000 + k, content))
            if content in seen:  # a byte copy: one more file, no new content
                continue
            seen.add(content)
            facts.append(facts_of(content, thumb, _taken(k)))
            stored += [
                (content, model, kind, to_blob(np.array([code[k]], np.uint64)))
                for k, kind in enumerate(kinds)
            ]
        store.record_indexed(files, facts, stored)
        written = last
        print(f"  built {written:,} records", end="\r", file=sys.stderr)
    built = time.perf_counter() - start
    store.close()
    return {"records": written, "planted_files": len(planted), "build_s": built}


def planted_records(
    codes: np.ndarray,
    thumbs: np.ndarray,
    query: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
    groups: int,
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Duplicate groups: an original, then 1-3 copies within 0-3 code bits whose thumbnail
    differs by a little noise (recompressed); a group of four holds a byte copy (the same
    content twice). Then the similar query's photo three times, within 1-2 bits."""
    records: list[tuple[np.ndarray, np.ndarray, str]] = []
    bases = rng.integers(len(codes), size=groups)
    originals = flip(codes[bases], NOISE, rng)
    pictures = noisy(thumbs[bases], PIXEL_NOISE, rng)
    for g in range(groups):
        content = f"{'e' * 16}{g:016x}"
        records.append((originals[g], pictures[g], content))
        extra = int(rng.integers(1, 4))
        near = flip_exactly(
            np.repeat(originals[g : g + 1], extra, 0), rng.integers(0, 4, extra), rng
        )
        for j in range(extra):
            if j == 0 and extra == 3:
                records.append(records[-1])  # a byte copy
                continue
            copy = noisy(pictures[g : g + 1], COPY_NOISE, rng)[0]
            records.append((near[j], copy, f"{'d' * 14}{g:016x}{j:02x}"))
    code, thumb = query
    near = flip_exactly(np.repeat(code[None], 3, 0), np.array([1, 2, 2]), rng)
    for j in range(3):
        copy = noisy(thumb[None], COPY_NOISE, rng)[0]
        records.append((near[j], copy, f"{'f' * 30}{j:02x}"))
    return records


def _path(root: Path, i: int, suffix: str = "") -> str:
    return str(root / f"{2000 + i % 25}" / f"{i // 1000:04d}" / f"IMG_{i:08d}{suffix}.jpg")


def _taken(i: int) -> str:
    return f"{2000 + i % 25}:{1 + i % 12:02d}:{1 + i % 28:02d} 12:00:00"


def query_code() -> tuple[np.ndarray, np.ndarray]:
    """The shipped model's codes (one per kind) and verification thumbnail of the similar
    query (12 MP)."""
    from twinlens.engine.config import EngineConfig
    from twinlens.engine.indexing.pipeline import Pipeline
    from twinlens.engine.model.encoder import SEMANTIC, Encoder

    pipeline = Pipeline(Encoder(), EngineConfig())
    prepared = pipeline.prepare_path(QUERY)
    pipeline.encode([prepared])
    from twinlens.engine.media.signature import thumbnail_from_blob

    assert prepared.facts is not None
    assert prepared.facts.thumb is not None
    codes = np.array([int(prepared.codes[kind][0]) for kind in code_kinds()], np.uint64)
    assert code_kinds()[0] == SEMANTIC
    return codes, thumbnail_from_blob(prepared.facts.thumb)


# -- the measurements, each in its own process ------------------------------------------


def child(mode: str, library_path: Path, extra: str) -> dict[str, Any]:
    from twinlens.engine import Library

    if mode == "info":
        start = time.perf_counter()
        with Library(library_path, create=False) as library:
            opened = time.perf_counter()
            info = library.info()
            done = time.perf_counter()
            library.store.counts(library.model.key)  # again, the model loaded: the SQL alone
            counts = time.perf_counter() - done
        return {
            "open_s": opened - start,
            "info_s": done - opened,
            "model_s": done - opened - counts,
            "counts_s": counts,
            "photos": info.photos,
            "indexed": info.indexed,
        }
    if mode == "dupes":
        with Library(library_path, create=False) as library:
            library.model  # noqa: B018 - the model loads first, as in every command
            library.store.forget_verdicts()  # a first run: no verdict cached by the CLI's run
            from twinlens.engine.matching.duplicates import Report

            start = time.perf_counter()
            collection = library.collection()
            read = time.perf_counter()
            report = Report()
            groups = library.duplicate_groups(report=report)
            end = time.perf_counter()
        tiers: dict[str, int] = {}
        for g in groups:
            tiers[g.tier] = tiers.get(g.tier, 0) + 1
        return {
            "collection_s": read - start,
            "grouping_s": end - read,
            "total_s": end - start,
            "contents": len(collection),
            "groups": len(groups),
            "tiers": tiers,
            "files_in_groups": sum(len(g.members) for g in groups),
            "signature_pairs": report.signature_pairs,
            "code_pairs": report.code_pairs,
            "candidates": report.candidates,
            "global_verified": report.global_verified,
            "geometric": report.geometric_checked,
        }
    if mode == "faiss-dupes":
        return faiss_dupes(library_path, int(extra or 0))
    if mode == "similar":
        with Library(library_path, create=False) as library:
            library.model  # noqa: B018
            start = time.perf_counter()
            answer = library.search_file(QUERY, top=10)
            cold = time.perf_counter() - start
            warm = []
            for _ in range(20):
                t = time.perf_counter()
                answer = library.search_file(QUERY, top=10)
                warm.append(time.perf_counter() - t)
            prep = []
            for _ in range(20):
                t = time.perf_counter()
                prepared = library.pipeline.prepare_path(QUERY)
                library.pipeline.encode([prepared])
                prep.append(time.perf_counter() - t)
        return {
            "cold_s": cold,
            "warm_median_s": statistics.median(warm),
            "query_prepare_median_s": statistics.median(prep),
            "verdict": answer.in_library,
            "closest": answer.closest,
            "results": len(answer.results),
            "top_distances": [r.distance for r in answer.results],
        }
    if mode == "faiss-similar":
        return faiss_similar(library_path)
    if mode == "watch":
        return watch(Path(extra))
    raise SystemExit(f"unknown mode {mode}")


def stored_codes(library_path: Path, kind: str = "semantic") -> np.ndarray:
    """Every content's code of ``kind``, read through the Store (what any peer would index)."""
    from twinlens.engine.model.encoder import Encoder
    from twinlens.engine.storage.store import Store

    store = Store(library_path, create=False)
    rows = store.indexed_codes(Encoder().meta.key, kind)
    unique = {h: c for _, h, _, c in rows}
    store.close()
    return np.frombuffer(b"".join(unique.values()), ">u8").astype(np.uint64)


def as_faiss(codes: np.ndarray) -> np.ndarray:
    return codes.astype(">u8").view(np.uint8).reshape(len(codes), 8)


def faiss_dupes(library_path: Path, sample: int) -> dict[str, Any]:
    """The learned-code candidate job by faiss: each content's k nearest neighbours by each
    code the engine takes candidates from (matching/plan.py: k and radius from the model),
    with an exact flat index on both cores, over ``sample`` query rows (0: all), scaled to
    all rows when sampled (the search is linear in the number of queries)."""
    import faiss

    from twinlens.engine.matching.plan import candidate_plans
    from twinlens.engine.model.encoder import Encoder

    out: dict[str, Any] = {"read_s": 0.0, "search_s": 0.0, "pairs": 0, "plans": []}
    for plan in candidate_plans(Encoder().meta):
        start = time.perf_counter()
        codes = as_faiss(stored_codes(library_path, plan.kind))
        read = time.perf_counter()
        index = faiss.IndexBinaryFlat(64)
        index.add(codes)
        queries = codes if not sample or sample >= len(codes) else codes[:sample]
        found = 0
        for first in range(0, len(queries), 10_000):
            distances, _ = index.search(queries[first : first + 10_000], plan.neighbours + 1)
            found += int((distances[:, 1:] <= plan.max_radius).sum())  # [:, 0]: itself
        end = time.perf_counter()
        scale = len(codes) / len(queries)
        out["read_s"] += read - start
        out["search_s"] += (end - read) * scale
        out["pairs"] += int(found * scale)
        out["plans"].append(f"{plan.kind} k{plan.neighbours} <= {plan.max_radius}")
        out["queries"] = len(queries)
    out["total_s"] = out["read_s"] + out["search_s"]
    out["note"] = "neighbour pairs only, before uniting (no signatures, no verification)" + (
        f"; {out['queries']:,} query rows timed, scaled" if sample else ""
    )
    return out


def faiss_similar(library_path: Path) -> dict[str, Any]:
    import faiss

    codes = as_faiss(stored_codes(library_path))
    codes_of_query, _ = query_code()
    query = as_faiss(codes_of_query[:1])  # the semantic code, as top-10 similar searches it
    index = faiss.IndexBinaryFlat(64)
    index.add(codes)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        distances, _ = index.search(query, 11)
        times.append(time.perf_counter() - t)
    return {"search_median_s": statistics.median(times), "top_distances": distances[0].tolist()}


# -- watch: an unchanged tree of real files ---------------------------------------------


def build_watch_tree(files: int) -> Path:
    """``files`` small real files and a library that records every one of them unchanged."""
    from twinlens.engine.model.codes import to_blob
    from twinlens.engine.model.encoder import Encoder
    from twinlens.engine.storage.store import ContentFacts, Store

    folder = CACHE / f"watch-{files}"
    library_path = folder / "watch.twinlens"
    if library_path.exists():
        return library_path
    root = folder / "tree"
    model = Encoder().meta.key
    rng = np.random.default_rng(3)
    store = Store(library_path)
    store.add_roots([root])
    for start in range(0, files, CHUNK):
        indexed, facts, codes = [], [], []
        for i in range(start, min(files, start + CHUNK)):
            path = root / f"{i // 1000:04d}" / f"IMG_{i:08d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(i.to_bytes(8, "big"))
            info = path.stat()
            content = f"{i:032x}"
            indexed.append((str(path), info.st_size, info.st_mtime_ns, content))
            facts.append(ContentFacts(content, 4000, 3000, "JPEG", "", "", b"\0" * 128))
            code = np.array([rng.integers(0, 2**63)], np.uint64)
            codes.append((content, model, "semantic", to_blob(code)))
        store.record_indexed(indexed, facts, codes)
    store.close()
    return library_path


def watch(library_path: Path) -> dict[str, Any]:
    import threading

    from twinlens.engine import Library

    with Library(library_path, create=False) as library:
        library.pipeline  # noqa: B018 - the model loads before the clock, as the app's does
        reconciled = threading.Event()

        def on_change(change: Any) -> None:
            if change.reconciled:
                reconciled.set()

        start = time.perf_counter()
        watcher = library.watch(on_change)
        reconciled.wait(600)
        elapsed = time.perf_counter() - start
        watcher.stop()
        files = library.count_photos()
    return {"reconcile_s": elapsed, "files": files}


# -- the parent: build once, then one process per figure --------------------------------


def run_child(
    mode: str, library_path: Path, extra: str = "", timeout: float | None = None
) -> dict[str, Any]:
    """One measurement in a fresh process; ``{"timed_out": seconds}`` past ``timeout``."""
    command = [sys.executable, __file__, "--child", mode, "--library", str(library_path)]
    try:
        out = subprocess.run(
            [*command, "--extra", extra],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"timed_out": timeout}
    return json.loads(out.stdout.strip().splitlines()[-1])


WRAPPER = """
import subprocess, sys, time
timeout, cap_mb = float(sys.argv[1]), float(sys.argv[2])
start = time.perf_counter()
child = subprocess.Popen(sys.argv[3:], stdout=subprocess.DEVNULL)
peak, why = 0.0, ""
while child.poll() is None:
    try:
        status = open(f"/proc/{child.pid}/status").read().split("VmHWM:")[1].split()[0]
        peak = max(peak, int(status) / 1024)
    except (OSError, IndexError):
        pass
    if time.perf_counter() - start > timeout or peak > cap_mb:
        why = "timeout" if peak <= cap_mb else "memory"
        child.kill()
        child.wait()
        break
    time.sleep(0.05)
if not why and child.returncode:
    why = f"failed-{child.returncode}"
print(time.perf_counter() - start, peak, why or "done")
"""


def run_cli(args: list[str], timeout: float = 3600.0, cap_mb: float = 1e9) -> dict[str, Any]:
    """Wall time and peak RSS (VmHWM, polled) of one ``twinlens`` process, stopped past
    ``timeout`` seconds or ``cap_mb`` of memory (the machine is shared)."""
    twinlens = str(Path(sys.executable).parent / "twinlens")
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(timeout), str(cap_mb), twinlens, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    wall, peak, why = out.stdout.split()
    if why.startswith("failed"):
        raise SystemExit(f"twinlens {' '.join(args)}: {why}")
    return {"wall_s": float(wall), "peak_mb": float(peak), "stopped": "" if why == "done" else why}


def library_of(photos: int) -> Path:
    """The cached library of ``photos`` records, built if missing and brought to this
    Twinlens's schema before any clock starts (a migration backs the file up first)."""
    from twinlens.engine.storage.store import Store

    path = CACHE / f"library-{photos}.twinlens"
    if path.exists():
        store = Store(path, create=False)
        store.forget_verdicts()  # every run times a first dupes, as a fresh library has
        store.close()
    else:
        built = build(path, photos, query_code())
        print(
            f"built {built['records']:,} records ({built['planted_files']:,} files in planted"
            f" groups) through the Store in {built['build_s']:.0f} s"
        )
    return path


def show_info(library_path: Path) -> None:
    info_cli = run_cli(["info", "--library", str(library_path)])
    info = run_child("info", library_path)
    print(
        f"info: CLI process {info_cli['wall_s']:.2f} s (peak {info_cli['peak_mb']:.0f} MB);"
        f" in-process open {info['open_s'] * 1000:.0f} ms + info() {info['info_s'] * 1000:.0f}"
        f" ms, of which the model's load {info['model_s'] * 1000:.0f} ms and the counts"
        f" {info['counts_s'] * 1000:.0f} ms (peak {info['peak_mb']:.0f} MB);"
        f" {info['photos']:,} photos"
    )


def show_dupes(library_path: Path, photos: int, timeout: float, cap_mb: float, sample: int) -> None:
    cli = run_cli(["dupes", "--json", "--library", str(library_path)], timeout, cap_mb)
    if cli["stopped"]:
        print(
            f"dupes (all groups), {photos:,} photos: the CLI process was stopped"
            f" ({cli['stopped']}) after {cli['wall_s']:.0f} s at {cli['peak_mb']:.0f} MB"
            f" (limits: {timeout:.0f} s, {cap_mb:.0f} MB)"
        )
    else:
        print(
            f"dupes (all groups), {photos:,} photos: CLI process {cli['wall_s']:.1f} s (peak"
            f" {cli['peak_mb']:.0f} MB)"
        )
        dupes = run_child("dupes", library_path)
        print(
            f"  in-process {dupes['total_s']:.1f} s = collection {dupes['collection_s']:.1f} s"
            f" + grouping {dupes['grouping_s']:.1f} s (peak {dupes['peak_mb']:.0f} MB):"
            f" {dupes['groups']:,} groups {dupes['tiers']}, {dupes['files_in_groups']:,} files"
        )
        print(
            f"  candidates: {dupes['signature_pairs']:,} from the signatures,"
            f" {dupes['code_pairs']:,} from code neighbours, {dupes['candidates']:,} united;"
            f" {dupes['global_verified']:,} verified globally; {dupes['geometric']:,} went to"
            " the geometric step (decode + ORB), which finds no file here: with real files"
            " each costs tens of ms more"
        )
    peer = run_child("faiss-dupes", library_path, str(sample))
    print(
        f"  faiss IndexBinaryFlat k-nearest ({', '.join(peer['plans'])}):"
        f" {peer['total_s']:.1f} s (read {peer['read_s']:.1f} s + search"
        f" {peer['search_s']:.1f} s, peak {peer['peak_mb']:.0f} MB), {peer['pairs']:,} pairs;"
        f" {peer['note']}"
    )


def show_similar(library_path: Path) -> None:
    similar = run_child("similar", library_path)
    flat = run_child("faiss-similar", library_path)
    print(
        f"similar (top-10 + verdict, 12 MP JPEG): cold {similar['cold_s']:.2f} s, warm"
        f" {similar['warm_median_s'] * 1000:.0f} ms median, of which decoding + encoding the"
        f" query {similar['query_prepare_median_s'] * 1000:.0f} ms (peak"
        f" {similar['peak_mb']:.0f} MB); verdict {similar['verdict']!r}, distances"
        f" {similar['top_distances']}"
    )
    print(
        f"  faiss IndexBinaryFlat top-11 search alone: {flat['search_median_s'] * 1000:.1f} ms"
        f" median (peak {flat['peak_mb']:.0f} MB), distances {flat['top_distances']}"
    )


def show_watch(photos: int, files: int) -> None:
    watch_library = build_watch_tree(files)
    watched = run_child("watch", watch_library, str(watch_library))
    scale = photos / watched["files"]
    print(
        f"watch reconcile, unchanged tree of {watched['files']:,} files:"
        f" {watched['reconcile_s']:.1f} s (peak {watched['peak_mb']:.0f} MB); x{scale:.0f}"
        f" -> {watched['reconcile_s'] * scale:.0f} s at {photos:,} (linear)"
    )


def show_desktop(photos: int, frames: int) -> None:
    desktop = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_desktop.py"),
            "--photos",
            str(photos),
            "--frames",
            str(frames),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"desktop (benchmarks/bench_desktop.py --photos {photos} --frames {frames}):")
    print("\n".join("  " + line for line in desktop.stdout.strip().splitlines()))


SECTIONS = ("info", "dupes", "similar", "watch", "desktop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--watch-files", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--dupes-timeout", type=float, default=600.0)
    parser.add_argument("--dupes-memory", type=float, default=8000.0, help="MB, then stopped")
    parser.add_argument(
        "--dupes-sizes", default="", help="also dupes at these smaller sizes (the growth curve)"
    )
    parser.add_argument("--faiss-sample", type=int, default=20_000, help="0: every query row")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--library", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--extra", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.library, args.extra)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    if not QUERY.exists():
        sys.exit(f"{QUERY} is missing: run benchmarks/bench_indexing.py --n 1 first")
    CACHE.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TWINLENS_CACHE", str(CACHE / "thumbnails"))
    sections = set(args.only.split(","))
    print(
        f"Twinlens at {args.photos:,} photos · {os.cpu_count()} cores · load average"
        f" {os.getloadavg()[0]:.2f} at the start"
    )
    library_path = library_of(args.photos)
    size = sum(p.stat().st_size for p in library_path.parent.glob(library_path.name + "*"))
    print(f"library file: {size / 1e6:.0f} MB, {size / args.photos:.0f} bytes per photo")
    if "info" in sections:
        show_info(library_path)
    if "dupes" in sections:
        for smaller in [int(n) for n in args.dupes_sizes.split(",") if n]:
            show_dupes(library_of(smaller), smaller, args.dupes_timeout, args.dupes_memory, 0)
        show_dupes(
            library_path, args.photos, args.dupes_timeout, args.dupes_memory, args.faiss_sample
        )
    if "similar" in sections:
        show_similar(library_path)
    if "watch" in sections:
        show_watch(args.photos, args.watch_files)
    if "desktop" in sections:
        show_desktop(args.photos, args.frames)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
