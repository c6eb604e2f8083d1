"""Hostile file names through every command, in text and JSON (issue 10, findings 1 and 8).

Every class of name a real disk can hold: bytes that are not UTF-8 (in a file and in a folder
name), terminal escape sequences, a newline, quotes and SQL-like text, a leading dash, a name
near the 255-byte limit and a right-to-left override. For each: the scan indexes it, ``dupes``
pairs it with its byte copy, the human output holds no control character, the JSON path gives
back the exact bytes on disk, and ``trash`` / ``undo`` move exactly that file.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.cli import main

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="names that Linux allows")

NAMES = {
    "not_utf8": b"bad\xff\xfename.jpg",
    "latin1": b"caf\xe9 cr\xe8me.jpg",
    "clear_screen": b"esc\x1b[2J\x1b[Hname.jpg",
    "retitle": b"title\x1b]0;pwned\x07.jpg",
    "newline": b"two\nlines.jpg",
    "sql_and_quotes": b'it\'s "x"; drop table photos; --.jpg',
    "leading_dash": b"-rf --library.jpg",
    "near_255_bytes": b"n" * 246 + b".jpg",
    "right_to_left": "holiday\u202egpj.exe.jpg".encode(),
}
CONTROL = [chr(c) for c in range(0x20) if chr(c) != "\n"] + ["\x7f", "\u202e"]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _no_control(text: str) -> None:
    assert not [c for c in CONTROL if c in text], repr(text)
    for line in text.splitlines():
        line.encode("utf-8")  # no lone surrogate: prints on any strict terminal


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "hostile"
    path.mkdir()
    make_photo(path / "original.jpg", seed=7, size=(480, 360))
    return path


@pytest.mark.parametrize("kind", list(NAMES))
def test_every_command_survives_the_name(
    kind: str, folder: Path, tiny_model: Path, system_trash: Path, library_path: Path, capsys
) -> None:
    raw = os.fsencode(folder) + b"/" + NAMES[kind]
    shutil.copyfile(folder / "original.jpg", raw)
    name = os.fsdecode(raw)
    lib = ("--library", str(library_path))

    code, out, err = _run(capsys, "scan", str(folder), *lib)
    assert code == 0, err
    assert "2 found, 1 indexed, 1 known by content" in err
    _no_control(out + err)

    code, out, err = _run(capsys, "dupes", *lib)
    assert code == 0
    _no_control(out + err)
    assert out.count("\n") == 3  # group header, keeper line, one member: nothing split

    code, out, _ = _run(capsys, "dupes", "--json", *lib)
    (group,) = json.loads(out)["groups"]
    assert os.fsencode(name) in [os.fsencode(p) for p in group["paths"]]
    member = next(m for m in group["members"] if os.fsencode(m["path"]) == raw)
    if "path_bytes" in member:
        assert base64.b64decode(member["path_bytes"]) == raw

    code, out, err = _run(capsys, "similar", str(folder / "original.jpg"), "--json", *lib)
    assert code == 0
    assert raw in [os.fsencode(r["path"]) for r in json.loads(out)["results"]]
    code, out, err = _run(capsys, "similar", name, *lib)  # the odd name as the query
    assert code == 0, err
    _no_control(out + err)

    code, out, err = _run(capsys, "trash", name, *lib)
    assert code == 0, err
    _no_control(out + err)
    assert not os.path.lexists(raw)
    assert (folder / "original.jpg").exists()

    code, out, err = _run(capsys, "undo", *lib)
    assert code == 0, err
    _no_control(out + err)
    assert Path(name).read_bytes() == (folder / "original.jpg").read_bytes()

    code, out, err = _run(capsys, "info", *lib)
    assert code == 0
    _no_control(out + err)


def test_a_folder_whose_name_is_not_utf8(
    folder: Path, tiny_model: Path, library_path: Path, capsys
) -> None:
    inner = os.fsencode(folder) + b"/Fotos \xe9t\xe9 2003"
    os.mkdir(inner)
    shutil.copyfile(folder / "original.jpg", inner + b"/copy.jpg")
    code, out, err = _run(capsys, "dupes", str(folder), "--library", str(library_path))
    assert code == 0, err
    assert "\\xe9t\\xe9" in out  # readable, escaped
    _no_control(out + err)
    code, out, _ = _run(capsys, "dupes", "--json", "--library", str(library_path))
    paths = [os.fsencode(p) for g in json.loads(out)["groups"] for p in g["paths"]]
    assert inner + b"/copy.jpg" in paths


def test_scan_with_strict_utf8_output_and_a_non_utf8_name(
    folder: Path, tiny_model: Path, library_path: Path
) -> None:
    shutil.copyfile(folder / "original.jpg", os.fsencode(folder) + b"/x\xff.jpg")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    for args in (["scan", str(folder)], ["dupes"], ["info"]):
        done = subprocess.run(
            [sys.executable, "-m", "twinlens.engine.cli", *args, "--library", str(library_path)],
            timeout=120,
            env=env,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
    assert (
        b"x\\xff.jpg" in done.stdout
        or b"x\\xff.jpg"
        in subprocess.run(
            [sys.executable, "-m", "twinlens.engine.cli", "dupes", "--library", str(library_path)],
            timeout=120,
            env=env,
            capture_output=True,
        ).stdout
    )


def test_watch_keeps_indexing_after_a_non_utf8_name(
    folder: Path, tiny_model: Path, library_path: Path
) -> None:
    from tests.engine.test_watcher import Recorder, wait_for
    from twinlens.engine.library import Library

    library = Library(library_path)
    library.add_roots([folder])
    recorder = Recorder()
    watcher = library.watch(recorder, settle=0.2)
    try:
        assert watcher.wait_until_idle()
        raw = os.fsencode(folder) + b"/arrived \xff.jpg"
        shutil.copyfile(folder / "original.jpg", raw)
        wait_for(lambda: library.store.photo_by_path(os.fsdecode(raw)) is not None)
        make_photo(folder / "after.jpg", seed=9)  # the worker is still alive
        wait_for(lambda: library.store.photo_by_path(str(folder / "after.jpg")) is not None)
        lines = [line for change in recorder.changes for line in change.describe()]
        assert any("arrived \\xff.jpg" in line for line in lines)
    finally:
        watcher.stop()
        library.close()
