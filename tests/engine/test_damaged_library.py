"""Damaged, missing and contended library files (issue 10, findings 6 and 9).

A library damaged past its first pages is refused by every command with one line, and not one
byte of it changes; ``rebuild`` sets it aside and starts again from its folders. Read-only
commands never create a library; two processes creating one at once both succeed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.cli import main
from twinlens.engine.errors import LibraryError, LibraryReason
from twinlens.engine.library import Library
from twinlens.engine.storage.migrations import known_names
from twinlens.engine.storage.store import Store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged(tmp_path: Path, tiny_model: Path) -> tuple[Path, Path]:
    """A real library of a folder, plus enough rows to span many pages, interior pages zeroed."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(3):
        make_photo(folder / f"p{index}.jpg", seed=index)
    path = tmp_path / "damaged.twinlens"
    with Library(path) as library:
        library.run_scan(library.add_roots([folder]))
        library.store.record_errors(
            (f"{folder}/gone{i:05d}-with-a-long-name.jpg", 1, 2, "corrupt", "x" * 60)
            for i in range(3000)
        )
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    assert pages > 40
    for page in range(pages // 3, pages - 1, 5):  # interior pages only: the header reads fine
        data[page * 4096 : (page + 1) * 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    return path, folder


@pytest.mark.parametrize(
    "argv",
    [["info"], ["dupes"], ["scan", "{folder}"], ["trash", "{folder}/p0.jpg"], ["undo"]],
)
def test_every_command_refuses_a_damaged_library_untouched(
    damaged: tuple[Path, Path], argv: list[str], capsys
) -> None:
    path, folder = damaged
    before = _digest(path)
    args = [a.format(folder=folder) for a in argv]
    code = main([*args, "--library", str(path)])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert code == 2
    assert last.startswith("twinlens: ")
    assert "damaged" in last
    assert "rebuild" in last
    assert "Traceback" not in err
    assert _digest(path) == before


def test_rebuild_keeps_the_damaged_file_and_rescans_its_folders(
    damaged: tuple[Path, Path], capsys
) -> None:
    path, folder = damaged
    before = _digest(path)
    assert main(["rebuild", "--library", str(path)]) == 0
    err = capsys.readouterr().err
    aside = next(path.parent.glob("damaged.twinlens.damaged-*[0-9]"))
    assert _digest(aside) == before
    assert "kept as" in err
    with Library(path, create=False) as rebuilt:
        assert rebuilt.roots() == [folder.resolve()]
        assert rebuilt.info().indexed == 3
        assert rebuilt.store.integrity_ok()


@pytest.mark.parametrize("command", ["info", "dupes", "similar", "trash", "undo", "watch"])
def test_read_only_commands_never_create_a_library(
    tmp_path: Path, tiny_model: Path, command: str, capsys
) -> None:
    photo = make_photo(tmp_path / "q.jpg", seed=1)
    target = tmp_path / "not yet" / "lib.twinlens"
    extra = {"similar": [str(photo)], "trash": [str(photo)]}.get(command, [])
    if command == "dupes":
        extra = [str(tmp_path / "nowhere")]
    code = main([command, *extra, "--library", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert not target.parent.exists()


def test_a_library_under_a_folder_that_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(LibraryError, match=r"cannot create the folder .* Permission denied") as e:
        Store(tmp_path / "read-only" / "sub" / "lib.twinlens")
    assert e.value.reason is LibraryReason.UNAVAILABLE


def test_two_processes_creating_one_library_at_once(tmp_path: Path) -> None:
    script = (
        "import sys\nfrom twinlens.engine.storage.store import Store\nStore(sys.argv[1]).close()\n"
    )
    for attempt in range(4):
        path = tmp_path / f"race{attempt}.twinlens"
        processes = [
            subprocess.Popen([sys.executable, "-c", script, str(path)], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
        store = Store(path)
        count = store.scalar("select count(*) from _sqlite_migrations")
        store.close()
        assert count == len(known_names())
