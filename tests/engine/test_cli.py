"""The command line's contract: JSON shapes, exit codes, clear one-line messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo
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
    by_tier = {g["tier"]: g for g in payload["groups"]}
    assert set(by_tier) == {"exact", "same_photo"}
    for group in payload["groups"]:
        assert group["paths"][0] == group["keeper"]
        assert len(group["distances"]) == len(group["paths"])
        assert all(Path(p).is_absolute() for p in group["paths"])
    assert sorted(Path(p).name for p in by_tier["exact"]["paths"]) == ["p0 copy.jpg", "p0.jpg"]
    assert by_tier["same_photo"]["keeper"].endswith("p1.jpg")  # the larger one is kept
    assert payload["errors"] == [
        {
            "path": str(photos / "broken.jpg"),
            "reason": "corrupt",
            "detail": payload["errors"][0]["detail"],
        }
    ]


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
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child process")
@pytest.mark.parametrize(
    ("stop_signal", "parent_ignores_sigint"),
    [("SIGINT", False), ("SIGINT", True), ("SIGTERM", False)],
)
def test_watch_command_prints_what_it_indexes_and_stops_cleanly(
    tiny_model: Path,
    photos: Path,
    library_path: Path,
    capsys,
    stop_signal: str,
    parent_ignores_sigint: bool,
) -> None:
    import signal

    _run(capsys, "scan", str(photos), "--library", str(library_path))
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
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint if parent_ignores_sigint else None,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Watching ")
        assert "reconciled" in process.stdout.readline()
        make_photo(photos / "arrived.jpg", seed=31)
        lines = iter(process.stdout.readline, "")
        line = next(line for line in lines if not line.startswith("error "))  # known errors first
        assert line.strip() == f"indexed  {photos / 'arrived.jpg'}"
    finally:
        process.send_signal(getattr(signal, stop_signal))
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
