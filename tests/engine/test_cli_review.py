"""Review at library scale from the command line (issue 12): reference folders, keeper
preferences, trash/move from a ``dupes --json`` file, exports, the move-to-folder journal."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo
from twinlens.engine.cli import main


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Two exact pairs, a resized copy, a loner; the copy of p0 is the older file."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for index in range(4):
        make_photo(folder / f"p{index}.jpg", seed=index)
    shutil.copyfile(folder / "p0.jpg", folder / "sub" / "p0 (copy).jpg")
    os.utime(folder / "sub" / "p0 (copy).jpg", ns=(10**18, 10**18))  # older than the original
    shutil.copyfile(folder / "p2.jpg", folder / "sub" / "p2 - Copy.jpg")
    with Image.open(folder / "p1.jpg") as image:
        image.resize((160, 120)).save(folder / "sub" / "p1_small.jpg")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _dupes(capsys, library: Path, *extra: str) -> dict:
    code, out, err = _run(capsys, "dupes", "--library", str(library), "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _scan(capsys, photos: Path, library: Path) -> None:
    assert _run(capsys, "scan", str(photos), "--library", str(library))[0] == 0


def test_keeper_is_the_original_even_when_the_copy_is_older(
    tiny_model: Path, photos: Path, library_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    payload = _dupes(capsys, library_path)
    keepers = {Path(g["keeper"]).name: g["keeper_reason"] for g in payload["groups"]}
    assert set(keepers) == {"p0.jpg", "p1.jpg", "p2.jpg"}
    assert keepers["p0.jpg"].startswith("name without a copy marker")
    assert keepers["p1.jpg"].startswith("most pixels")
    for group in payload["groups"]:
        assert all(m["reference"] is False for m in group["members"])
        assert group["raw_jpeg_pair"] is False


def test_prefer_reorders_the_criteria_and_is_remembered(
    tiny_model: Path, photos: Path, library_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    code, out, err = _run(
        capsys, "dupes", "--library", str(library_path), "--json", "--prefer", "oldest"
    )
    assert code == 0
    assert "Keeper criteria, in order: oldest" in err
    by_keeper = {Path(g["keeper"]).name for g in json.loads(out)["groups"]}
    assert "p0 (copy).jpg" in by_keeper  # now the oldest file wins
    assert "p0 (copy).jpg" in {
        Path(g["keeper"]).name for g in _dupes(capsys, library_path)["groups"]
    }
    code, out, _ = _run(capsys, "settings", "--library", str(library_path))
    assert "keeper.order = oldest" in out
    code, _, err = _run(capsys, "dupes", "--library", str(library_path), "--prefer", "size")
    assert code == 2
    assert "unknown keeper criterion 'size'" in err
    code, _, err = _run(capsys, "dupes", "--library", str(library_path), "--prefer", "default")
    assert "reference, pixels, quality, metadata, name, oldest" in err


def test_reference_folders_win_and_are_refused_by_trash(
    tiny_model: Path, photos: Path, library_path: Path, system_trash: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    code, out, _ = _run(
        capsys, "reference", "add", str(photos / "sub"), "--library", str(library_path)
    )
    assert code == 0
    assert "always kept" in out
    code, out, _ = _run(capsys, "reference", "list", "--library", str(library_path))
    assert out.strip() == str(photos / "sub")
    payload = _dupes(capsys, library_path)
    for group in payload["groups"]:
        assert "/sub/" in group["keeper"]
        assert group["keeper_reason"].startswith("in the reference folder")
        flags = {Path(m["path"]).parent.name: m["reference"] for m in group["members"]}
        assert flags == {"sub": True, "photos": False}
    code, _, err = _run(
        capsys, "trash", str(photos / "sub" / "p0 (copy).jpg"), "--library", str(library_path)
    )
    assert code == 2
    assert "is in a reference folder, whose photos are always kept; nothing was moved" in err
    assert (photos / "sub" / "p0 (copy).jpg").exists()
    code, out, _ = _run(
        capsys, "reference", "remove", str(photos / "sub"), "--library", str(library_path)
    )
    assert code == 0
    code, _, err = _run(
        capsys, "reference", "remove", str(photos / "sub"), "--library", str(library_path)
    )
    assert code == 2
    assert "is not a reference folder" in err


def test_reference_outside_the_library_becomes_a_folder_of_it(
    tiny_model: Path, photos: Path, tmp_path: Path, library_path: Path, capsys
) -> None:
    _scan(capsys, photos / "sub", library_path)
    code, _, err = _run(capsys, "reference", "add", str(photos), "--library", str(library_path))
    assert code == 0
    assert "one of its folders now" in err
    code, out, _ = _run(capsys, "info", "--library", str(library_path), "--json")
    assert str(photos) in json.loads(out)["roots"]


def test_trash_from_dupes_moves_every_extra_copy_as_one_undoable_step(
    tiny_model: Path, photos: Path, library_path: Path, system_trash: Path, tmp_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    dump = tmp_path / "dupes.json"
    dump.write_text(json.dumps(_dupes(capsys, library_path)))
    # Meanwhile p2's copy changes: that group must be refused, the others still go.
    make_photo(photos / "sub" / "p2 - Copy.jpg", seed=99)
    code, out, err = _run(
        capsys,
        "trash",
        "--from-dupes",
        str(dump),
        "--tier",
        "exact",
        "--library",
        str(library_path),
    )
    assert code == 2
    assert out.strip() == f"moved to the trash: {photos / 'sub' / 'p0 (copy).jpg'}"
    assert f"refused: {photos / 'sub' / 'p2 - Copy.jpg'} changed since it was indexed" in err
    assert "changed since it was indexed" in err
    assert "1 file(s) moved to the trash; 1 group(s) refused" in err
    assert (photos / "p0.jpg").exists()
    assert (photos / "sub" / "p1_small.jpg").exists()
    code, out, _ = _run(capsys, "undo", "--library", str(library_path))
    assert code == 0
    assert (photos / "sub" / "p0 (copy).jpg").exists()


def test_trash_from_dupes_all_tiers_and_bad_files(
    tiny_model: Path, photos: Path, library_path: Path, system_trash: Path, tmp_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    dump = tmp_path / "dupes.json"
    dump.write_text(json.dumps(_dupes(capsys, library_path)))
    code, out, _ = _run(capsys, "trash", "--from-dupes", str(dump), "--library", str(library_path))
    assert code == 0
    moved = sorted(Path(line.split(": ", 1)[1]).name for line in out.splitlines())
    assert moved == ["p0 (copy).jpg", "p1_small.jpg", "p2 - Copy.jpg"]
    code, out, _ = _run(capsys, "undo", "--library", str(library_path))
    assert len(out.splitlines()) == 3  # one step
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = _run(
        capsys, "trash", "--from-dupes", str(tmp_path / "bad.json"), "--library", str(library_path)
    )
    assert code == 2
    assert "is not JSON (line 1" in err
    (tmp_path / "other.json").write_text('{"results": []}')
    code, _, err = _run(
        capsys,
        "trash",
        "--from-dupes",
        str(tmp_path / "other.json"),
        "--library",
        str(library_path),
    )
    assert 'has no "groups" list' in err
    code, _, err = _run(
        capsys,
        "trash",
        "--from-dupes",
        str(dump),
        "--tier",
        "similar_shot",
        "--library",
        str(library_path),
    )
    assert "not a duplicate tier" in err
    code, _, err = _run(capsys, "trash", "--library", str(library_path))
    assert "name the files to remove, or give --from-dupes FILE" in err


def test_move_keeps_relative_paths_never_overwrites_and_undoes(
    tiny_model: Path, photos: Path, library_path: Path, tmp_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    aside = tmp_path / "aside"
    (aside / "photos" / "sub").mkdir(parents=True)
    (aside / "photos" / "sub" / "p2 - Copy.jpg").write_bytes(b"already here")
    dump = tmp_path / "dupes.json"
    dump.write_text(json.dumps(_dupes(capsys, library_path)))
    code, _, err = _run(
        capsys,
        "move",
        "--to",
        str(aside),
        "--from-dupes",
        str(dump),
        "--library",
        str(library_path),
    )
    assert code == 2  # one target was taken
    assert (aside / "photos" / "sub" / "p0 (copy).jpg").exists()
    assert (aside / "photos" / "sub" / "p1_small.jpg").exists()
    assert (aside / "photos" / "sub" / "p2 - Copy.jpg").read_bytes() == b"already here"
    assert (photos / "sub" / "p2 - Copy.jpg").exists()
    assert f"not moved: {photos / 'sub' / 'p2 - Copy.jpg'}" in err
    assert not (photos / "sub" / "p0 (copy).jpg").exists()
    code, _out, _ = _run(capsys, "undo", "--library", str(library_path))
    assert code == 0
    assert (photos / "sub" / "p0 (copy).jpg").exists()
    assert (photos / "sub" / "p1_small.jpg").exists()
    assert not (aside / "photos" / "sub" / "p0 (copy).jpg").exists()
    code, _, err = _run(
        capsys,
        "move",
        "--to",
        str(photos / "sub"),
        str(photos / "sub" / "p1_small.jpg"),
        "--library",
        str(library_path),
    )
    assert code == 2
    assert "overlaps the library's folder" in err


def test_move_never_goes_through_a_link(
    tiny_model: Path, photos: Path, library_path: Path, tmp_path: Path, capsys
) -> None:
    _scan(capsys, photos, library_path)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "aside").mkdir()
    (tmp_path / "aside" / "photos").symlink_to(real)
    code, _, err = _run(
        capsys,
        "move",
        "--to",
        str(tmp_path / "aside"),
        str(photos / "sub" / "p1_small.jpg"),
        "--library",
        str(library_path),
    )
    assert code == 2
    assert "is a link" in err
    assert (photos / "sub" / "p1_small.jpg").exists()
    assert not any(real.iterdir())


def test_export_csv_and_json_keep_non_utf8_names(
    tiny_model: Path, photos: Path, library_path: Path, tmp_path: Path, capsys
) -> None:
    odd = os.fsdecode(os.fsencode(str(photos)) + b"/caf\xe9.jpg")
    shutil.copyfile(photos / "p3.jpg", odd)
    _scan(capsys, photos, library_path)
    code, _, err = _run(capsys, "export", str(tmp_path / "g.csv"), "--library", str(library_path))
    assert code == 0
    assert "Exported 4 group(s)" in err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "group", "tier", "path", "path_bytes", "edit", "keeper", "reason", "size", "width",
        "height", "date", "reference", "pair", "kept",
    ]  # fmt: skip
    odd_rows = [r for r in rows if r["path_bytes"]]
    assert len(odd_rows) == 1
    assert odd_rows[0]["path"].endswith("caf\\xe9.jpg")
    assert base64.b64decode(odd_rows[0]["path_bytes"]) == os.fsencode(odd)
    assert {r["keeper"] for r in rows} == {"yes", "no"}
    small = next(r for r in rows if r["path"].endswith("p1_small.jpg"))
    assert (small["width"], small["height"], small["tier"]) == ("160", "120", "same_photo")
    assert int(small["size"]) == (photos / "sub" / "p1_small.jpg").stat().st_size
    code, _, _ = _run(capsys, "export", str(tmp_path / "g.json"), "--library", str(library_path))
    payload = json.loads((tmp_path / "g.json").read_text())
    assert odd in {r["path"] for r in payload["rows"]}  # \udcXX round-trips
    code, _, err = _run(capsys, "export", str(tmp_path / "g.json"), "--library", str(library_path))
    assert code == 2
    assert "already exists" in err
    code, _, err = _run(capsys, "export", str(tmp_path / "g.txt"), "--library", str(library_path))
    assert "name a .csv or .json file" in err


def test_settings_for_raw_jpeg_pairs(tiny_model: Path, library_path: Path, capsys) -> None:
    from twinlens.engine import Library

    Library(library_path).close()
    code, out, _ = _run(capsys, "settings", "--library", str(library_path))
    assert "pairs.jpeg_removable = false" in out
    code, out, _ = _run(
        capsys, "settings", "pairs.jpeg_removable", "yes", "--library", str(library_path)
    )
    assert out.strip() == "pairs.jpeg_removable = true"
    code, _, err = _run(
        capsys, "settings", "pairs.jpeg_removable", "maybe", "--library", str(library_path)
    )
    assert code == 2
    assert "true or false" in err
    code, _, err = _run(capsys, "settings", "colour", "red", "--library", str(library_path))
    assert "no library setting 'colour'" in err
