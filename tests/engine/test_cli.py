"""The command line's contract: JSON shapes, exit codes, clear one-line messages."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from PIL import Image

from tests.conftest import REPO, make_photo
from twinlens.engine.cli import main


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "my photos ü"
    folder.mkdir()
    for index in range(5):
        make_photo(folder / f"p{index}.jpg", seed=index)
    shutil.copyfile(folder / "p0.jpg", folder / "p0 copy.jpg")
    with Image.open(folder / "p1.jpg") as image:
        image.resize((160, 120)).save(folder / "p1_small.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dupes_json_contract(tiny_model: Path, photos: Path, library_path: Path, capsys) -> None:
    code, out, _ = _run(capsys, "dupes", str(photos), "--library", str(library_path), "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"groups", "errors"}
    groups = payload["groups"]
    # Every group, in order: an extra or a missing group fails here (not hidden by a dict).
    assert [(g["tier"], sorted(Path(p).name for p in g["paths"])) for g in groups] == [
        ("exact", ["p0 copy.jpg", "p0.jpg"]),
        ("same_photo", ["p1.jpg", "p1_small.png"]),
    ]
    for group in groups:
        assert group["paths"][0] == group["keeper"]
        assert len(group["distances"]) == len(group["paths"])
        assert all(Path(p).is_absolute() for p in group["paths"])
        assert [m["path"] for m in group["members"]] == group["paths"]
        assert [m["distance"] for m in group["members"]] == group["distances"]
    exact, same = groups
    assert exact["distances"] == [0, 0]
    assert (
        exact["keeper_reason"] == "name without a copy marker (p0 copy.jpg has 'copy' in its name)"
    )
    assert same["keeper"] == str(photos / "p1.jpg")  # the larger one is kept, and says why
    assert same["keeper_reason"] == "most pixels: 320x240 (the next copy has 160x120)"
    [error] = payload["errors"]
    assert set(error) == {"path", "reason", "detail"}
    assert (error["path"], error["reason"]) == (str(photos / "broken.jpg"), "corrupt")
    assert isinstance(error["detail"], str)
    assert error["detail"].strip() not in {"", "corrupt"}  # words about this file's damage


def test_dupes_similar_adds_similar_shots_in_their_own_tier(
    tiny_model: Path, photos: Path, library_path: Path, capsys
) -> None:
    """``--similar``: another shot of a scene (reframed, not a copy) comes as a similar-shot
    group after the duplicate groups, and never without the flag."""
    with Image.open(photos / "p2.jpg") as image:
        image.crop((30, 0, 320, 240)).resize((320, 240)).save(photos / "p2 reframed.jpg")
    older = (photos / "p2.jpg").stat().st_mtime
    os.utime(photos / "p2 reframed.jpg", (older + 60, older + 60))
    argv = ("dupes", str(photos), "--library", str(library_path), "--json")
    plain = json.loads(_run(capsys, *argv)[1])["groups"]
    code, out, _ = _run(capsys, *argv, "--similar")
    assert code == 0
    groups = json.loads(out)["groups"]
    assert groups[: len(plain)] == plain
    [similar] = groups[len(plain) :]
    assert similar["tier"] == "similar_shot"
    assert similar["paths"] == [str(photos / "p2.jpg"), str(photos / "p2 reframed.jpg")]
    assert similar["keeper_reason"] == "least lossy: JPEG quality 92 over JPEG quality 75"
    assert similar["distances"][0] == 0 < similar["distances"][1]
    assert all(g["tier"] != "similar_shot" for g in plain)


def test_scan_then_info_json(tiny_model: Path, photos: Path, library_path: Path, capsys) -> None:
    code, _, err = _run(capsys, "scan", str(photos), "--library", str(library_path))
    assert code == 0
    assert "8 found" in err
    assert "corrupt" in err
    code, out, _ = _run(capsys, "info", "--library", str(library_path), "--json")
    info = json.loads(out)
    assert info["photos"] == 8
    assert info["indexed"] == 7
    assert info["errors"] == {"corrupt": 1}
    assert info["model"] == "tiny-test@1"


def test_similar_json_nearest_first(
    tiny_model: Path, photos: Path, library_path: Path, capsys
) -> None:
    _run(capsys, "scan", str(photos), "--library", str(library_path))
    query = photos.parent / "query.jpg"
    with Image.open(photos / "p3.jpg") as image:
        image.resize((200, 150)).save(query, quality=70)
    code, out, _ = _run(
        capsys, "similar", str(query), "--library", str(library_path), "--top", "3", "--json"
    )
    assert code == 0
    results = json.loads(out)["results"]
    assert len(results) == 3
    assert results[0]["path"] == str(photos / "p3.jpg")
    # Copies of the query first, then the rest, each part nearest first.
    copies = [r["distance"] for r in results if r["tier"] not in ("", "similar_shot")]
    rest = [r["distance"] for r in results if r["tier"] in ("", "similar_shot")]
    assert [r["distance"] for r in results] == sorted(copies) + sorted(rest)


def test_encode_json_without_a_library(
    tiny_model: Path, photos: Path, tmp_path: Path, capsys
) -> None:
    code, out, _ = _run(capsys, "encode", str(photos), "--json")
    assert code == 0
    payload = json.loads(out)
    assert len(payload["codes"]) == 7
    assert {c["bits"] for c in payload["codes"]} == {64}
    assert all(len(c["code"]) == 16 for c in payload["codes"])
    copies = {c["code"] for c in payload["codes"] if Path(c["path"]).name.startswith("p0")}
    assert len(copies) == 1
    assert payload["errors"][0]["reason"] == "corrupt"
    assert not (tmp_path / "default.twinlens").exists()


def readme_contract() -> dict[str, dict[str, Any]]:
    """The README's "JSON output (a contract for scripts)" block, one example per command.

    Its shorthand is made JSON: ``N`` is a number, ``[...]`` a list whose items it does not
    spell out. Read from README.md itself, so the README and the code cannot drift apart.
    """
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"JSON output \(a contract for scripts\):\s*```\n(.*?)```", text, re.S)
    assert found, "README.md has no JSON contract block"
    parts = re.split(r"^(\w+):", found.group(1), flags=re.M)[1:]
    contract = {}
    for name, body in zip(parts[::2], parts[1::2], strict=True):
        body = re.sub(r":\s*N\b", ": 0", body.replace("[...]", "[]"))
        contract[name] = json.loads(body)
    return contract


def key_sets(payload: dict[str, Any]) -> dict[str, set[str]]:
    """The keys of an object ("") and of the items of each of its lists of objects."""
    keys = {"": set(payload)}
    for name, value in payload.items():
        items = [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
        if items:
            keys[name] = set().union(*items)
    return keys


def documented_keys(command: str) -> dict[str, set[str]]:
    contract = readme_contract()
    keys = key_sets(contract[command])
    if contract[command].get("errors") == []:  # written out once, under dupes
        keys["errors"] = key_sets(contract["dupes"])["errors"]
    return keys


def contract_payload(command: str, photos: Path, library_path: Path, capsys) -> dict[str, Any]:
    """Each command's JSON on the test photos, every list it has non-empty."""
    library = ("--library", str(library_path))
    _run(capsys, "scan", str(photos), *library)
    argv = {
        "dupes": ("dupes", "--similar", *library),
        "similar": ("similar", str(photos / "p1_small.png"), "--top", "3", *library),
        "info": ("info", *library),
        "encode": ("encode", str(photos)),
    }[command]
    code, out, _ = _run(capsys, *argv, "--json")
    assert code == 0
    return json.loads(out)


def test_the_readme_contract_names_every_command() -> None:
    contract = readme_contract()
    assert set(contract) == {"dupes", "export", "similar", "info", "encode"}
    assert documented_keys("dupes")["groups"] >= {"paths", "keeper", "keeper_reason", "tier"}
    assert documented_keys("encode")["errors"] == {"path", "reason", "detail"}


@pytest.mark.parametrize("command", ["dupes", "similar", "info", "encode"])
def test_json_has_every_field_the_readme_documents(
    tiny_model: Path, photos: Path, library_path: Path, capsys, command: str
) -> None:
    actual = key_sets(contract_payload(command, photos, library_path, capsys))
    for where, keys in documented_keys(command).items():
        assert where in actual, f"{command}: no {where or 'object'} in the output"
        missing = keys - actual[where]
        assert not missing, f"{command} {where or 'top level'}: documented, missing: {missing}"


# Fields the code writes that the README's contract does not show yet: none today. Exact sets,
# so a new undocumented field fails, and so does an entry here the day the README documents it.
README_LAGS: dict[tuple[str, str], set[str]] = {}


@pytest.mark.parametrize("command", ["dupes", "similar", "info", "encode"])
def test_json_has_no_field_the_readme_does_not_document(
    tiny_model: Path, photos: Path, library_path: Path, capsys, command: str
) -> None:
    documented = documented_keys(command)
    for where, keys in key_sets(contract_payload(command, photos, library_path, capsys)).items():
        extra = keys - documented.get(where, set())
        lagging = README_LAGS.get((command, where), set())
        assert extra == lagging, f"{command} {where or 'top level'}: not in the README: {extra}"


def test_missing_path_is_one_clear_line(tiny_model: Path, tmp_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "scan", str(tmp_path / "nowhere"))
    assert code == 2
    assert out == ""
    assert err.strip() == f"twinlens: {tmp_path / 'nowhere'}: no such file or folder"


def test_library_that_is_not_a_database(
    tiny_model: Path, photos: Path, tmp_path: Path, capsys
) -> None:
    bogus = tmp_path / "bogus.twinlens"
    bogus.write_text("hello")
    code, _, err = _run(capsys, "dupes", str(photos), "--library", str(bogus))
    assert code == 2
    assert "not a Twinlens library" in err
    assert len(err.strip().splitlines()) == 1
    assert bogus.read_text() == "hello"


def test_library_from_a_newer_version(tiny_model: Path, library_path: Path, capsys) -> None:
    from twinlens.engine.storage.store import Store

    store = Store(library_path)
    store.db["_sqlite_migrations"].insert(
        {"migration_set": "twinlens", "name": "m999_future", "applied_at": "2030"}
    )
    store.close()
    code, _, err = _run(capsys, "info", "--library", str(library_path))
    assert code == 2
    assert "newer Twinlens" in err


def test_headless_commands_never_import_qt_or_torch(
    tiny_model: Path, photos: Path, tmp_path: Path
) -> None:
    script = (
        "import sys\n"
        "from twinlens.engine.cli import main\n"
        f"main(['dupes', {str(photos)!r}, '--library', {str(tmp_path / 'l.twinlens')!r},"
        " '--json'])\n"
        "bad = [m for m in ('torch', 'PySide6', 'timm', 'twinlens.training') if m in sys.modules]\n"
        "sys.exit(f'imported {bad}' if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], timeout=120, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_trash_and_undo_commands(
    tiny_model: Path, photos: Path, library_path: Path, system_trash, capsys
) -> None:
    _run(capsys, "scan", str(photos), "--library", str(library_path))
    code, out, _ = _run(
        capsys, "trash", str(photos / "p0 copy.jpg"), "--library", str(library_path)
    )
    assert code == 0
    assert out.strip() == f"moved to the trash: {photos / 'p0 copy.jpg'}"
    code, _, err = _run(capsys, "trash", str(photos / "p0.jpg"), "--library", str(library_path))
    assert code == 2
    assert "never the last one" in err
    assert (photos / "p0.jpg").exists()
    code, out, _ = _run(capsys, "undo", "--library", str(library_path))
    assert code == 0
    assert (photos / "p0 copy.jpg").exists()
    code, _, err = _run(capsys, "undo", "--library", str(library_path))
    assert code == 2
    assert "no removal to undo" in err


def _ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a background job


class LineReader:
    """A child's output, a line at a time, each read with a timeout (a hang fails the test
    instead of stalling the suite). A thread reads the pipe; lines wait in a queue."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put("")  # end of output

    def next(self, timeout: float = 30.0) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line of output within {timeout} s") from None
        assert line, "the output ended"
        return line

    def first(self, wanted: Callable[[str], bool], timeout: float = 30.0) -> str:
        """The next line ``wanted`` accepts, skipping others, all within ``timeout``."""
        deadline = time.monotonic() + timeout
        while not wanted(line := self.next(max(0.1, deadline - time.monotonic()))):
            if time.monotonic() > deadline:
                raise AssertionError(f"no wanted line within {timeout} s")
        return line


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child process")
@pytest.mark.parametrize(
    ("stop_signal", "parent_ignores_sigint"),
    [("SIGINT", False), ("SIGINT", True), ("SIGTERM", False)],
)
def test_watch_command_prints_what_it_indexes_and_stops_cleanly(
    tiny_model: Path,
    photos: Path,
    library_path: Path,
    tmp_path: Path,
    capsys,
    stop_signal: str,
    parent_ignores_sigint: bool,
) -> None:
    import signal

    _run(capsys, "scan", str(photos), "--library", str(library_path))
    errors = tmp_path / "watch-stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-u",
                "-m",
                "twinlens.engine.cli",
                "watch",
                "--library",
                str(library_path),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            preexec_fn=_ignore_sigint if parent_ignores_sigint else None,
        )
    try:
        assert process.stdout is not None
        output = LineReader(process.stdout)
        assert output.next().startswith("Watching "), errors.read_text()
        assert "reconciled" in output.next()
        make_photo(photos / "arrived.jpg", seed=31)
        line = output.first(lambda ln: not ln.startswith("error "))  # known errors first
        assert line.strip() == f"indexed  {photos / 'arrived.jpg'}"
    finally:
        process.send_signal(getattr(signal, stop_signal))
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:  # it did not stop: never leave it running
                process.kill()
                process.wait(timeout=30)
    assert process.returncode == 0, errors.read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child process")
def test_watch_says_what_it_watches_before_anything_it_reports(
    tiny_model: Path, photos: Path, library_path: Path, capsys
) -> None:
    """The watcher's thread reports the first reconcile while ``watch`` starts up; the
    "Watching" line must still come first and whole (two threads printing could reorder or
    merge lines). Made certain here: the child's watcher finishes its reconcile before
    ``Library.watch`` returns."""
    import signal

    _run(capsys, "scan", str(photos), "--library", str(library_path))
    script = (
        "import sys\n"
        "from twinlens.engine.indexing.watcher import Watcher\n"
        "start = Watcher.start\n"
        "def reconciled_first(self):\n"
        "    start(self)\n"
        "    self.wait_until_idle()\n"
        "    return self\n"
        "Watcher.start = reconciled_first\n"
        "from twinlens.engine.cli import main\n"
        f"sys.exit(main(['watch', '--library', {str(library_path)!r}]))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        output = LineReader(process.stdout)
        assert output.next() == f"Watching {photos} (Ctrl+C stops)\n"
        assert output.next() == "reconciled the library with the disk\n"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    assert process.returncode == 0


def test_dupes_without_a_folder_uses_a_copy_of_the_sample_library(
    tiny_model: Path, tmp_path: Path, capsys
) -> None:
    code, out, err = _run(capsys, "dupes", "--json")
    assert code == 0
    assert "sample library" in err
    groups = json.loads(out)["groups"]
    exact = [g for g in groups if g["tier"] == "exact"]
    assert [sorted(Path(p).name for p in g["paths"]) for g in exact] == [
        ["kodim08 (copy).jpg", "kodim08.jpg"]
    ]
    copy = tmp_path / "sample-photos"  # beside the default library, never the packaged files
    assert all(Path(p).is_relative_to(copy) for g in groups for p in g["paths"])
