"""A library and a thumbnail cache on a filesystem that fills up (a small tmpfs).

Needs root (to mount the tmpfs) on Linux; ``available()`` says why not otherwise.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .crashes import Run, cli, environment, integrity, photo_folder, run


def available() -> str:
    """ "" when a tmpfs can be mounted here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return "a tmpfs mount needs Linux"
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    return ""


@contextlib.contextmanager
def small_disk(where: Path, size_kb: int) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)], check=True
    )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave_kb: int) -> Path:
    """Take all but ``leave_kb`` of the disk with one filler file."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    filler = disk / "filler"
    with filler.open("wb") as out:
        out.write(b"\0" * max(0, free - leave_kb * 1024))
    return filler


def scan_on_full_disk(work: Path, model: Path) -> Run:
    photos = work / "photos"
    photo_folder(photos, 400, size=(320, 240))
    env = environment(work, model)
    result = Run("disk_full_scan", 0, 0.0, False)
    with small_disk(work / "small", 2048) as disk:
        library = disk / "lib.twinlens"
        run(cli(library, "info"), env)  # nothing yet: info never creates one
        filler = fill(disk, 160)
        first = run(cli(library, "scan", str(photos)), env)
        if first.returncode == 0:
            result.problems.append("the scan did not notice the full disk")
        elif "full" not in first.stderr.splitlines()[-1]:
            result.problems.append(f"unclear message: {first.stderr.strip().splitlines()[-1]}")
        if "Traceback" in first.stderr:
            result.problems.append("a traceback reached the user")
        if library.exists():
            if (verdict := integrity(library)) != "ok":
                result.problems.append(f"integrity_check: {verdict}")
            with sqlite3.connect(library) as conn:
                half = conn.execute(
                    "select count(*) from photos p left join codes c on c.hash = p.hash"
                    " where p.status = 'indexed' and c.hash is null"
                ).fetchone()[0]
            if half:
                result.problems.append(f"{half} photos half-written (no code)")
        filler.unlink()
        second = run(cli(library, "scan", str(photos)), env)
        if second.returncode != 0:
            result.problems.append(f"the scan after freeing space failed: {second.stderr[-300:]}")
    return result


def thumbnails_on_full_disk(work: Path) -> Run:
    from twinlens.engine.media.thumbnails import Thumbnails

    photos = work / "thumb-photos"
    photo_folder(photos, 40, size=(640, 480))
    result = Run("disk_full_thumbnails", 0, 0.0, False)
    with small_disk(work / "small-cache", 1024) as disk:
        fill(disk, 48)
        cache = Thumbnails(disk)
        for path in sorted(photos.glob("*.jpg")):
            if not cache.get(path, 256).startswith(b"\xff\xd8"):
                result.problems.append(f"no thumbnail for {path.name}")
        leftovers = list(disk.rglob("*.part"))
        if leftovers:
            result.problems.append(f"{len(leftovers)} half-written thumbnails left behind")
    return result
