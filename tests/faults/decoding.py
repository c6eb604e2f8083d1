"""Run files through decode_worker.py with a time limit each, and say how each one ended.

Outcomes: ``ok``, ``error:<reason>`` (a typed DecodeError: the wanted result for damaged
files), ``untyped:<exception>`` (an exception that escaped the typed errors: a bug),
``hang`` (over the time limit), ``crash`` (the worker process died).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections import Counter
from pathlib import Path

MEMORY_LIMIT = 3 << 30


def decode_all(paths: list[Path], timeout: float = 10.0) -> dict[Path, str]:
    outcomes: dict[Path, str] = {}
    pending = list(paths)
    while pending:
        worker = _start()
        try:
            while pending:
                path = pending[0]
                assert worker.stdin is not None
                assert worker.stdout is not None
                worker.stdin.write(os.fsencode(str(path)).hex() + "\n")
                worker.stdin.flush()
                ready, _, _ = select.select([worker.stdout], [], [], timeout)
                if not ready:
                    outcomes[path] = "hang"
                    pending.pop(0)
                    break
                line = worker.stdout.readline().strip()
                if not line:
                    outcomes[path] = "crash"
                    pending.pop(0)
                    break
                word, _, rest = line.partition(" ")
                outcomes[path] = word if word == "ok" else f"{word}:{rest}"
                pending.pop(0)
        finally:
            worker.kill()
            worker.wait()
    return outcomes


def tally(outcomes: dict[Path, str]) -> Counter[str]:
    return Counter(outcomes.values())


def _start() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.decode_worker", str(MEMORY_LIMIT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
