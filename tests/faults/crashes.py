"""kill -9 at seeded moments of scan, watch, trash and undo, then check nothing was lost.

Each scenario builds its own folder and library under ``work``, runs the real command line in
a child process, kills it with SIGKILL after a seeded delay, and returns the problems it then
finds (an empty list is a pass):
- ``PRAGMA integrity_check`` is not ok;
- a photo is neither on disk nor in the trash with its journal entry (photos lost);
- the journal still holds unfinished items after the library was opened again;
- the next command re-encodes what was committed before the kill.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.conftest import make_photo


@dataclass
class Run:
    """One seeded kill: what was killed, when, and what was found afterwards."""

    scenario: str
    seed: int
    delay: float
    killed: bool
    problems: list[str] = field(default_factory=list)
    lost: int = 0


def environment(work: Path, model: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TWINLENS_MODEL=str(model),
        XDG_DATA_HOME=str(work / "xdg"),
        TWINLENS_CACHE=str(work / "cache"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    (work / "xdg").mkdir(parents=True, exist_ok=True)
    return env


def cli(library: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "twinlens.engine.cli", *args, "--library", str(library)]


def kill_after(argv: list[str], env: dict[str, str], delay: float) -> bool:
    """Start ``argv``, SIGKILL it after ``delay`` seconds; whether it was still running."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)


def photo_folder(
    folder: Path, count: int, pairs: int = 0, size: tuple[int, int] = (480, 360)
) -> None:
    """``count`` distinct photos plus ``pairs`` byte copies (``*_copy.jpg``) of the first ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        make_photo(folder / f"p{index:03d}.jpg", seed=index, size=size)
    for index in range(pairs):
        shutil.copyfile(folder / f"p{index:03d}.jpg", folder / f"p{index:03d}_copy.jpg")


def integrity(library: Path) -> str:
    with sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=10) as conn:
        return str(conn.execute("pragma integrity_check").fetchone()[0])


def indexed_count(library: Path) -> int:
    try:
        with sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=10) as conn:
            query = "select count(*) from photos where status = 'indexed'"
            return int(conn.execute(query).fetchone()[0])
    except sqlite3.Error:
        return 0


def accounted_for(
    library: Path, originals: dict[str, bytes], env: dict[str, str]
) -> tuple[list[str], int]:
    """Every original photo is on disk (as it was) or in the trash under a journal entry.

    The library is first opened by a command run like the killed one (same trash folder),
    which finishes an interrupted journal.
    """
    from twinlens.engine.paths import from_bytes

    problems: list[str] = []
    reopened = run(cli(library, "info"), env)
    if reopened.returncode != 0:
        problems.append(f"the library did not open again: {reopened.stderr.strip()[-300:]}")
    with sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=10) as conn:
        journal = conn.execute("select path, location, state, target from trash_items").fetchall()
    unfinished = [r for r in journal if r[2] in ("pending", "restoring")]
    if unfinished:
        problems.append(f"{len(unfinished)} journal items left unfinished after reopening")
    trashed = {from_bytes(r[0]): from_bytes(r[1] or b"") for r in journal if r[2] == "trashed"}
    restored = {from_bytes(r[3]) for r in journal if r[2] == "restored" and r[3] is not None}
    lost = 0
    for path, content in originals.items():
        on_disk = os.path.exists(path) and Path(path).read_bytes() == content
        back = any(
            t.startswith(path[: -len(".jpg")]) and Path(t).read_bytes() == content
            for t in restored
            if os.path.exists(t)
        )
        in_trash = path in trashed and bool(trashed[path]) and os.path.exists(trashed[path])
        if not (on_disk or back or in_trash):
            lost += 1
            problems.append(f"lost {path}")
    return problems, lost


def timed(argv: list[str], env: dict[str, str]) -> float:
    """How long ``argv`` takes when nothing kills it (to spread the kills over its run)."""
    started = time.monotonic()
    run(argv, env)
    return time.monotonic() - started


def moment(seed: int, span: float) -> float:
    """A seeded kill moment inside a run of ``span`` seconds (past the interpreter's start)."""
    return float(np.random.default_rng(seed).uniform(0.25, 1.0) * span)


def scan_scenario(work: Path, model: Path, seed: int, span: float, photos: int = 120) -> Run:
    folder, library = work / "photos", work / "scan.twinlens"
    photo_folder(folder, photos, size=(900, 700))
    env = environment(work, model)
    delay = moment(seed, span)
    result = Run("scan", seed, delay, kill_after(cli(library, "scan", str(folder)), env, delay))
    if not library.exists():
        return result
    if (verdict := integrity(library)) != "ok":
        result.problems.append(f"integrity_check: {verdict}")
    committed = indexed_count(library)
    again = run(cli(library, "scan", str(folder)), env)
    if again.returncode != 0:
        result.problems.append(f"the next scan failed: {again.stderr.strip()[-300:]}")
    elif f"{photos - committed} indexed" not in again.stderr:
        result.problems.append(
            f"the next scan re-encoded committed photos ({committed} committed): "
            f"{again.stderr.strip().splitlines()[-1]}"
        )
    return result


def watch_scenario(work: Path, model: Path, seed: int, span: float, arrivals: int = 30) -> Run:
    folder, library = work / "photos", work / "watch.twinlens"
    photo_folder(folder, 5)
    env = environment(work, model)
    run(cli(library, "scan", str(folder)), env)
    log = work / "watch.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            cli(library, "watch"), env=env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while "reconciled" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        for index in range(arrivals):
            make_photo(folder / f"new{index:03d}.jpg", seed=1000 + index)
        delay = moment(seed, span)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    result = Run("watch", seed, delay, True)
    if (verdict := integrity(library)) != "ok":
        result.problems.append(f"integrity_check: {verdict}")
    reported = [
        line.split(None, 1)[1]
        for line in log.read_text().splitlines()
        if line.startswith("indexed ")
    ]
    with sqlite3.connect(f"file:{library}?mode=ro", uri=True) as conn:
        stored = {os.fsdecode(r[0]) for r in conn.execute("select path from photos")}
    missing = [p for p in reported if p not in stored]
    if missing:
        result.problems.append(f"{len(missing)} photos reported indexed are not in the library")
    return result


def trash_scenario(work: Path, model: Path, seed: int, span: float, pairs: int = 12) -> Run:
    folder, library = work / "photos", work / "trash.twinlens"
    photo_folder(folder, pairs, pairs=pairs)
    env = environment(work, model)
    run(cli(library, "scan", str(folder)), env)
    originals = {str(p): p.read_bytes() for p in sorted(folder.glob("*.jpg"))}
    copies = [str(folder / f"p{i:03d}_copy.jpg") for i in range(pairs)]
    delay = moment(seed, span)
    result = Run("trash", seed, delay, kill_after(cli(library, "trash", *copies), env, delay))
    if (verdict := integrity(library)) != "ok":
        result.problems.append(f"integrity_check: {verdict}")
    problems, result.lost = accounted_for(library, originals, env)
    result.problems += problems
    for index in range(pairs):
        if not (folder / f"p{index:03d}.jpg").exists():
            result.problems.append(f"the original p{index:03d}.jpg was removed")
    return result


def undo_scenario(work: Path, model: Path, seed: int, span: float, pairs: int = 12) -> Run:
    folder, library = work / "photos", work / "undo.twinlens"
    photo_folder(folder, pairs, pairs=pairs)
    env = environment(work, model)
    run(cli(library, "scan", str(folder)), env)
    originals = {str(p): p.read_bytes() for p in sorted(folder.glob("*.jpg"))}
    copies = [str(folder / f"p{i:03d}_copy.jpg") for i in range(pairs)]
    run(cli(library, "trash", *copies), env)
    delay = moment(seed, span)
    result = Run("undo", seed, delay, kill_after(cli(library, "undo"), env, delay))
    if (verdict := integrity(library)) != "ok":
        result.problems.append(f"integrity_check: {verdict}")
    problems, result.lost = accounted_for(library, originals, env)
    result.problems += problems
    again = run(cli(library, "undo"), env)
    if again.returncode != 0 and "no removal to undo" not in again.stderr:
        result.problems.append(f"the next undo failed: {again.stderr.strip()[-300:]}")
    missing = [p for p in originals if not os.path.exists(p)]
    if missing and again.returncode == 0:
        result.problems.append(f"{len(missing)} files still missing after the second undo")
    return result


def calibrate(work: Path, model: Path) -> dict[str, float]:
    """Seconds each killed command takes uninterrupted, measured on scratch copies."""
    spans: dict[str, float] = {"watch": 3.0}  # watch runs until killed: arrivals take ~3 s
    folder, env = work / "photos", environment(work, model)
    photo_folder(folder, 120, size=(900, 700))
    spans["scan"] = timed(cli(work / "a.twinlens", "scan", str(folder)), env)
    pairs = work / "pairs"
    photo_folder(pairs, 12, pairs=12)
    run(cli(work / "b.twinlens", "scan", str(pairs)), env)
    copies = [str(pairs / f"p{i:03d}_copy.jpg") for i in range(12)]
    spans["trash"] = timed(cli(work / "b.twinlens", "trash", *copies), env)
    spans["undo"] = timed(cli(work / "b.twinlens", "undo"), env)
    return spans


SCENARIOS = {
    "scan": scan_scenario,
    "watch": watch_scenario,
    "trash": trash_scenario,
    "undo": undo_scenario,
}
