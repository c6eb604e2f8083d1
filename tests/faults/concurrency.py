"""Several Twinlens processes on one library at once: the races a household really runs.

- ``rival_trash``: two ``trash`` processes started together on the two copies of one pair;
  exactly one may succeed, and one copy must remain.
- ``busy_library``: ``watch``, a ``scan`` of another folder and a ``trash`` at the same time,
  while photos arrive; every command must succeed and none may say "database is locked".
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tests.conftest import make_photo

from .crashes import Run, cli, environment, integrity, photo_folder, run


def rival_trash(work: Path, model: Path, seed: int) -> Run:
    folder, library = work / "photos", work / "rival.twinlens"
    photo_folder(folder, 1, pairs=1)
    env = environment(work, model)
    run(cli(library, "scan", str(folder)), env)
    first, second = folder / "p000.jpg", folder / "p000_copy.jpg"
    if seed % 2:
        first, second = second, first
    processes = [
        subprocess.Popen(
            cli(library, "trash", str(p)),
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for p in (first, second)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    codes = [p.returncode for p in processes]
    result = Run("rival_trash", seed, 0.0, False)
    if sorted(codes) != [0, 2]:
        result.problems.append(f"exit codes {codes}, expected one 0 and one 2: {outputs}")
    remaining = [p for p in (first, second) if p.exists()]
    if len(remaining) != 1:
        result.problems.append(f"{len(remaining)} copies remain, expected exactly 1")
        result.lost = int(not remaining)
    if any("locked" in err for _, err in outputs):
        result.problems.append("a process reported a locked library")
    return result


def busy_library(work: Path, model: Path, seed: int) -> Run:
    watched, other, library = work / "watched", work / "other", work / "busy.twinlens"
    photo_folder(watched, 8, pairs=4)
    photo_folder(other, 60)
    env = environment(work, model)
    run(cli(library, "scan", str(watched)), env)
    log = work / "watch.log"
    result = Run("busy_library", seed, 0.0, False)
    with log.open("w") as out:
        watcher = subprocess.Popen(
            cli(library, "watch"), env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + 60
            while "reconciled" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            scan = subprocess.Popen(
                cli(library, "scan", str(other)),
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            copies = [str(watched / f"p{i:03d}_copy.jpg") for i in range(4)]
            trash = subprocess.Popen(
                cli(library, "trash", *copies),
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for index in range(10):
                make_photo(watched / f"arrived{seed}_{index}.jpg", seed=5000 + index)
            for name, process in (("scan", scan), ("trash", trash)):
                out_text, err_text = process.communicate(timeout=300)
                if process.returncode != 0:
                    result.problems.append(f"{name} failed: {err_text.strip()[-300:]}")
                if "locked" in out_text + err_text:
                    result.problems.append(f"{name} reported a locked library")
            time.sleep(3)
        finally:
            watcher.terminate()
            watcher.wait(timeout=60)
    if "locked" in log.read_text() or "Traceback" in log.read_text():
        result.problems.append("watch reported an error: " + log.read_text()[-300:])
    if (verdict := integrity(library)) != "ok":
        result.problems.append(f"integrity_check: {verdict}")
    for index in range(4):
        if not (watched / f"p{index:03d}.jpg").exists():
            result.problems.append(f"the original p{index:03d}.jpg is gone")
    shutil.rmtree(other, ignore_errors=True)
    return result
