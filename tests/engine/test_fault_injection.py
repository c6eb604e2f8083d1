"""The fault-injection suite, small seeded batches (issue 10): decoder fuzzing, kill -9 at
seeded moments, rival processes, a full disk. ``python -m tests.faults`` runs the full counts
and prints the figures recorded in docs/reliability.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.faults import concurrency, crashes, diskfull
from tests.faults.decoding import decode_all
from tests.faults.mutate import FORMATS, write_variants

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and select() on pipes")


@posix_only
@pytest.mark.parametrize("fmt", FORMATS)
def test_damaged_files_of_every_format_fail_typed(fmt: str, tmp_path: Path) -> None:
    paths = write_variants(tmp_path, fmt, seed=0, count=25)
    outcomes = decode_all(paths, timeout=20.0)
    bad = {p.name: o for p, o in outcomes.items() if not (o == "ok" or o.startswith("error:"))}
    assert bad == {}
    assert len(outcomes) == 25
    assert any(o.startswith("error:") for o in outcomes.values())  # the damage was real


@pytest.fixture(scope="module")
def spans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    from tests.tiny_model import write_tiny_model

    base = tmp_path_factory.mktemp("faults")
    model = write_tiny_model(base / "tiny.onnx")
    return model, crashes.calibrate(base / "calibration", model)


@posix_only
@pytest.mark.parametrize("scenario", list(crashes.SCENARIOS))
@pytest.mark.parametrize("seed", [3, 8])
def test_kill_9_loses_nothing(
    scenario: str, seed: int, spans: tuple[Path, dict[str, float]], tmp_path: Path
) -> None:
    model, times = spans
    run = crashes.SCENARIOS[scenario](tmp_path, model, seed, times[scenario])
    assert run.problems == []
    assert run.lost == 0


@posix_only
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_trash_processes_on_a_pair_exactly_one_wins(
    seed: int, spans: tuple[Path, dict[str, float]], tmp_path: Path
) -> None:
    run = concurrency.rival_trash(tmp_path, spans[0], seed)
    assert run.problems == []


@posix_only
@pytest.mark.skipif(sys.platform != "linux", reason="inotify watch beside other processes")
def test_watch_scan_and_trash_at_once(spans: tuple[Path, dict[str, float]], tmp_path: Path) -> None:
    run = concurrency.busy_library(tmp_path, spans[0], 0)
    assert run.problems == []


@pytest.mark.skipif(bool(diskfull.available()), reason=diskfull.available() or "available")
def test_scan_on_a_disk_that_fills_up(spans: tuple[Path, dict[str, float]], tmp_path: Path) -> None:
    run = diskfull.scan_on_full_disk(tmp_path, spans[0])
    assert run.problems == []


@pytest.mark.skipif(bool(diskfull.available()), reason=diskfull.available() or "available")
def test_thumbnail_cache_on_a_full_disk(tmp_path: Path) -> None:
    run = diskfull.thumbnails_on_full_disk(tmp_path)
    assert run.problems == []
