"""Desktop app speed on a 100,000-photo library: startup, grid scrolling, the live grid.

Builds a synthetic library (rows written straight into the engine's tables, 1,000 distinct
contents whose thumbnails are pre-rendered into the cache, so the photo files need not
exist), then, in a fresh process, measures:

- startup: process start -> main window shown and painted -> grid lists every photo;
- scrolling: frame times while flinging through the grid a few rows per frame, with
  thumbnails loading in the background as they would for a person;
- the live grid (issue 12): the watcher reports 1, 10 and 100 new photos (and as many
  removed); the grid takes them row by row (insert / remove in sort order), timed from the
  change to the repainted grid, and the time the GUI thread was busy with it; beside it, in
  the same run, the full reload the app did before (list all photos, reset the model).

    python benchmarks/bench_desktop.py [--photos 100000] [--frames 600]

Runs on the offscreen platform unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DISTINCT = 1000


def build_library(folder: Path, photos: int) -> Path:
    """A library file with ``photos`` indexed rows and a thumbnail cache for their contents."""
    from PIL import Image, ImageDraw

    from twinlens.engine.library import Library
    from twinlens.engine.media.thumbnails import Thumbnails, bucket

    path = folder / "bench.twinlens"
    library = Library(path)
    root = folder / "photos"
    library.add_roots([root])
    hashes = [f"{i:032x}" for i in range(DISTINCT)]
    now = time.time()
    with library.store.writing() as db:
        db["contents"].insert_all(
            {
                "hash": h,
                "width": 4000,
                "height": 3000,
                "format": "JPEG",
                "camera": "Bench",
                "taken_at": f"20{10 + i % 15:02d}:01:01 12:00:00",
            }
            for i, h in enumerate(hashes)
        )
        db["photos"].insert_all(
            (
                {
                    "path": str(root / f"{i // 1000:03d}" / f"IMG_{i:06d}.jpg"),
                    "size": 2_000_000 + i,
                    "mtime_ns": 1_600_000_000_000_000_000 + i * 10**9,
                    "hash": hashes[i % DISTINCT],
                    "status": "indexed",
                    "updated_at": now,
                }
                for i in range(photos)
            ),
            batch_size=5000,
        )
    library.close()
    cache = Thumbnails(folder / "cache")
    for i, content in enumerate(hashes):
        image = Image.new("RGB", (256, 192), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
        ImageDraw.Draw(image).ellipse((40, 30, 200, 160), fill=(255 - i % 256, 200, 90))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        Thumbnails._store(cache._file("unused", bucket(160), content), out.getvalue())
    return path


def measure(library_path: Path, photos: int, frames: int, launched: float) -> dict[str, float]:
    """Runs in the child process: open the app on the library, then scroll its grid."""
    from PySide6.QtWidgets import QApplication

    from twinlens.desktop.app import application, build_window
    from twinlens.engine.library import Library

    imported = time.time()
    app = application()
    window = build_window(Library(library_path), watch=False)
    window.show()
    app.processEvents()
    window.grid.viewport().repaint()
    shown = time.time()
    while window.model.rowCount() == 0:
        app.processEvents()
    window.grid.viewport().repaint()
    first_tiles = time.time()
    while window.model.rowCount() < photos:
        app.processEvents()
    window.grid.viewport().repaint()
    listed = time.time()
    frame_ms = scroll(app, window, frames)
    live = {n: live_change(app, window, n) for n in (1, 10, 100)}
    reload = [full_reload(app, window) for _ in range(3)]
    window.close()
    QApplication.processEvents()
    return {
        "live": live,
        "reload": {
            "total_ms": statistics.median(r[0] for r in reload),
            "gui_ms": statistics.median(r[1] for r in reload),
        },
        "import_s": imported - launched,
        "window_shown_s": shown - launched,
        "first_tiles_s": first_tiles - launched,
        "grid_listed_s": listed - launched,
        "rows": window.model.rowCount(),
        "frames": len(frame_ms),
        "frame_median_ms": statistics.median(frame_ms),
        "frame_p95_ms": sorted(frame_ms)[int(len(frame_ms) * 0.95)],
        "frame_max_ms": max(frame_ms),
        "frames_over_16ms": sum(1 for f in frame_ms if f > 1000 / 60),
        "frames_over_50ms": sum(1 for f in frame_ms if f > 50),
        "peak_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    """The app process's own peak RSS (VmHWM; ru_maxrss would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def scroll(app, window, frames: int) -> list[float]:
    """Fling down the grid three tile rows per frame, painting each frame; frame times in ms."""
    bar = window.grid.verticalScrollBar()
    step = window.grid.gridSize().height() * 3
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        bar.setValue(min(bar.maximum(), bar.value() + step))
        app.processEvents()
        window.grid.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
    return times


def live_change(app, window, count: int) -> dict[str, float]:
    """``count`` photos appear and ``count`` others go, as one watcher change."""
    from twinlens.engine import LibraryChange

    session, model = window.session, window.model
    library = session.library
    root = library.roots()[0]
    tag = f"live{count}"
    new = [str(root / tag / f"NEW_{i:06d}.jpg") for i in range(count)]
    middle = model.rowCount() // 2
    gone = [e.path for e in model.entries()[middle : middle + count]]
    with library.store.writing() as db:  # what a scan of the new files writes
        db["photos"].insert_all(
            {
                "path": p.encode(),
                "size": 3_000_000,
                "mtime_ns": 1_700_000_000_000_000_000,
                "hash": f"{i:032x}",
                "status": "indexed",
                "updated_at": time.time(),
            }
            for i, p in enumerate(new)
        )
        for p in gone:
            db.execute("delete from photos where path = ?", [p.encode()])
    busy = _gui_time(model)
    before = model.rowCount()
    start = time.perf_counter()
    session._on_library_change(LibraryChange(indexed=new, removed=gone))
    after = before + len(new) - len(gone)
    while model.row_of(new[-1]) is None or model.rowCount() != after:
        app.processEvents()
    window.grid.viewport().repaint()
    total = (time.perf_counter() - start) * 1000
    return {"total_ms": total, "gui_ms": busy()}


def _gui_time(model):
    """Times every call of the model's ``apply_changes`` (the GUI thread's share)."""
    spent = [0.0]
    original = model.apply_changes

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += (time.perf_counter() - start) * 1000

    model.apply_changes = timed
    return lambda: (setattr(model, "apply_changes", original), spent[0])[1]


def full_reload(app, window) -> tuple[float, float]:
    """What a change cost before: list every photo (worker), then reset the model (GUI)."""
    session, model = window.session, window.model
    start = time.perf_counter()
    entries = session.library.photos(session.sort)  # on a worker in the app
    gui = time.perf_counter()
    model.set_entries(entries)
    app.processEvents()
    window.grid.viewport().repaint()
    end = time.perf_counter()
    return (end - start) * 1000, (end - gui) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        launched = float(os.environ["BENCH_LAUNCHED"])
        print(json.dumps(measure(Path(args.child), args.photos, args.frames, launched)))
        return
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        start = time.perf_counter()
        library = build_library(folder, args.photos)
        built = time.perf_counter() - start
        env = dict(
            os.environ,
            TWINLENS_CACHE=str(folder / "cache"),
            BENCH_LAUNCHED=repr(time.time()),
            XDG_CONFIG_HOME=str(folder / "config"),
        )
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["BENCH_LAUNCHED"] = repr(time.time())
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(library),
                "--frames",
                str(args.frames),
                "--photos",
                str(args.photos),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"Twinlens desktop benchmark · {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} cores · Qt platform {env['QT_QPA_PLATFORM']}"
    )
    print(
        f"library: {figures['rows']:,} photos ({DISTINCT:,} distinct contents), built in"
        f" {built:.1f} s"
    )
    print("startup (process start ->):")
    print(f"  imports done          {figures['import_s'] * 1000:7.0f} ms")
    print(f"  window shown, painted {figures['window_shown_s'] * 1000:7.0f} ms")
    print(f"  first tiles listed    {figures['first_tiles_s'] * 1000:7.0f} ms")
    print(f"  grid lists all photos {figures['grid_listed_s'] * 1000:7.0f} ms")
    print(f"scrolling ({figures['frames']} frames, 3 tile rows per frame):")
    print(
        f"  frame time median {figures['frame_median_ms']:.1f} ms, p95"
        f" {figures['frame_p95_ms']:.1f} ms, max {figures['frame_max_ms']:.1f} ms"
    )
    print(
        f"  frames over 16.7 ms: {figures['frames_over_16ms']}, over 50 ms:"
        f" {figures['frames_over_50ms']}"
    )
    print("live grid (a watcher change -> repainted grid; GUI thread busy):")
    for count, row in figures["live"].items():
        print(
            f"  row by row, {count:>3} added + {count:>3} removed  {row['total_ms']:7.1f} ms"
            f"   GUI {row['gui_ms']:6.1f} ms"
        )
    reload = figures["reload"]
    print(
        f"  full reload (before; median of 3)      {reload['total_ms']:7.1f} ms"
        f"   GUI {reload['gui_ms']:6.1f} ms"
    )
    print(f"peak RSS of the app's process: {figures['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
