"""The command line's small promises (issue 10, finding 9): each a clear line, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scanned(tmp_path: Path, tiny_model: Path, library_path: Path, capsys) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(3):
        make_photo(folder / f"p{index}.jpg", seed=index)
    assert main(["scan", str(folder), "--library", str(library_path)]) == 0
    capsys.readouterr()
    return folder


def test_similar_on_a_folder_says_so(scanned: Path, library_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "similar", str(scanned), "--library", str(library_path))
    assert (code, out) == (2, "")
    assert err.strip() == f"twinlens: {scanned} is a folder: name one image to search with"


@pytest.mark.parametrize("top", ["0", "-3", "many"])
def test_similar_top_must_be_positive(scanned: Path, library_path: Path, top: str, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["similar", str(scanned / "p0.jpg"), "--top", top, "--library", str(library_path)])
    assert stop.value.code == 2
    assert "expected a whole number of 1 or more" in capsys.readouterr().err


def test_scan_of_a_file_is_refused_and_registers_nothing(
    scanned: Path, library_path: Path, capsys
) -> None:
    code, _, err = _run(capsys, "scan", str(scanned / "p0.jpg"), "--library", str(library_path))
    assert code == 2
    assert "is a file" in err
    _run(capsys, "info", "--json", "--library", str(library_path))
    code, out, _ = _run(capsys, "info", "--json", "--library", str(library_path))
    assert json.loads(out)["roots"] == [str(scanned.resolve())]


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE")
def test_output_into_a_closed_pipe_ends_quietly(scanned: Path, library_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # like `| head -1` that has already exited
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "twinlens.engine.cli",
            "dupes",
            "--json",
            "--library",
            str(library_path),
        ],
        timeout=120,
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write)
    assert done.returncode == 141
    assert "Traceback" not in done.stderr
    assert "BrokenPipeError" not in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and inotify")
def test_watch_commits_are_seen_by_other_processes_at_once(
    scanned: Path, library_path: Path, tiny_model: Path
) -> None:
    """Finding 7: another process polling the library sees each change while watch runs,
    and a watcher killed with -9 keeps everything it reported as indexed."""
    env = {**os.environ, "TWINLENS_MODEL": str(tiny_model)}
    base = [sys.executable, "-m", "twinlens.engine.cli"]
    log_path = scanned.parent / "watch.log"
    with log_path.open("w") as log:
        watcher = subprocess.Popen(
            [*base, "watch", "--library", str(library_path)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait(lambda: "reconciled" in log_path.read_text())
            make_photo(scanned / "new1.jpg", seed=11)
            make_photo(scanned / "new2.jpg", seed=12)
            (scanned / "p0.jpg").rename(scanned / "renamed.jpg")
            (scanned / "p1.jpg").unlink()

            def seen() -> int:
                done = subprocess.run(
                    [*base, "info", "--json", "--library", str(library_path)],
                    timeout=120,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                return int(json.loads(done.stdout)["indexed"])

            _wait(lambda: seen() == 4)  # p2, new1, new2, renamed: while watch still runs
            assert watcher.poll() is None
        finally:
            watcher.send_signal(signal.SIGKILL)
            watcher.wait(timeout=30)
    reported = [
        ln.split(None, 1)[1]
        for ln in log_path.read_text().splitlines()
        if ln.startswith("indexed ")
    ]
    assert {Path(p).name for p in reported} == {"new1.jpg", "new2.jpg", "renamed.jpg"}
    done = subprocess.run(
        [*base, "dupes", "--json", "--library", str(library_path)],
        timeout=120,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    code = subprocess.run(
        [*base, "info", "--json", "--library", str(library_path)],
        timeout=120,
        env=env,
        capture_output=True,
        text=True,
    )
    assert json.loads(code.stdout)["indexed"] == 4


def _wait(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)
