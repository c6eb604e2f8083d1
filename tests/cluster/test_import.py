"""``twinlens import`` without Ray: shards merge into exactly what a local scan stores.

The shards are made by the cluster's own worker stages, called in this process (no Ray
instance), so what is checked is the record a cluster writes, not a hand-made imitation.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.cluster.conftest import NOT_UTF8, stored
from tests.cluster.shards import make_shards, shard_info, write_rows
from tests.tiny_model import write_tiny_model
from twinlens.engine import ImportSummary, PathMap, ShardRefused, import_shards, run_to_end
from twinlens.engine.cli import main
from twinlens.engine.library import Library
from twinlens.engine.paths import to_bytes

pytest.importorskip("pyarrow", reason="shards are Parquet: pip install 'twinlens[cluster]'")


def _import(
    library: Library, folders: list[Path], maps: list[PathMap] | None = None
) -> ImportSummary:
    return run_to_end(import_shards(library.store, library.model, folders, maps or []))


def test_import_stores_what_a_local_scan_stores(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    shards = make_shards(tiny_model, photo_folder, tmp_path / "shards")
    assert len(shards) == 3  # 9 files, 4 a shard
    with Library(tmp_path / "imported.twinlens") as imported:
        summary = _import(imported, [tmp_path / "shards"])
        assert (summary.shards, summary.records, summary.indexed, summary.failed) == (3, 9, 7, 2)
        assert summary.bad == []
        assert summary.bad_shards == []
        with Library(tmp_path / "scanned.twinlens") as scanned:
            scanned.run_scan(scanned.add_roots([photo_folder]))
            assert stored(imported) == stored(scanned)
            assert str(photo_folder / NOT_UTF8) in stored(imported)["photos"]
            assert [g.paths for g in imported.duplicate_groups()] == [
                g.paths for g in scanned.duplicate_groups()
            ]
        again = imported.run_scan()  # a scan after the import has nothing left to do
        assert (again.encoded, again.reused, again.unchanged) == (0, 0, 9)


def test_import_twice_changes_nothing(tiny_model: Path, tmp_path: Path, photo_folder: Path) -> None:
    make_shards(tiny_model, photo_folder, tmp_path / "shards")
    with Library(tmp_path / "lib.twinlens") as library:
        first = _import(library, [tmp_path / "shards"])
        before = stored(library)
        second = _import(library, [tmp_path / "shards"])
        assert (first.written, first.new_codes) == (9, 5)  # two byte copies share codes
        assert (second.written, second.new_codes, second.new_contents) == (0, 0, 0)
        assert stored(library) == before


def test_paths_are_remapped_for_an_archive_mounted_elsewhere(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    make_shards(tiny_model, photo_folder, tmp_path / "shards")
    desktop = tmp_path / "Volumes" / "nas"
    shutil.copytree(photo_folder.parent, desktop, copy_function=shutil.copy2)
    mounted = desktop / "photos"
    with Library(tmp_path / "lib.twinlens") as library:
        mapping = PathMap.parse(f"{photo_folder.parent}={desktop}")
        _import(library, [tmp_path / "shards"], [mapping])
        paths = set(stored(library)["photos"])
        assert paths == {str(mounted / p.relative_to(photo_folder)) for p in _files(photo_folder)}
        assert library.roots() == [mounted]
        scan = library.run_scan()  # the mapped records match the files where they are now
        assert (scan.encoded, scan.unchanged) == (0, 9)


def test_path_map_matches_whole_folders_only() -> None:
    mapping = PathMap.parse("/mnt/nas=/Volumes/nas")
    assert mapping.apply(b"/mnt/nas/a/b.jpg") == b"/Volumes/nas/a/b.jpg"
    assert mapping.apply(b"/mnt/nas") == b"/Volumes/nas"
    assert mapping.apply(b"/mnt/nas2/b.jpg") is None
    assert mapping.apply(b"/mnt/nas/caf\xe9.jpg") == b"/Volumes/nas/caf\xe9.jpg"


def test_shards_of_another_model_are_refused_before_any_write(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    make_shards(tiny_model, photo_folder, tmp_path / "shards")
    other = write_tiny_model(tmp_path / "tiny-v2.onnx", version="2", seed=1)
    with Library(tmp_path / "lib.twinlens", model_path=other) as library:
        with pytest.raises(ShardRefused, match=r"tiny-test@1.*this library uses tiny-test@2"):
            _import(library, [tmp_path / "shards"])
        assert library.count_photos() == 0
        assert library.roots() == []


def test_cli_refuses_another_model_with_one_line(
    tiny_model: Path,
    tmp_path: Path,
    photo_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_shards(tiny_model, photo_folder, tmp_path / "shards")
    monkeypatch.setenv("TWINLENS_MODEL", str(write_tiny_model(tmp_path / "v2.onnx", "2", 1)))
    code = main(["import", str(tmp_path / "shards"), "--library", str(tmp_path / "l.twinlens")])
    err = capsys.readouterr().err
    assert code == 2
    assert "hold codes of the model tiny-test@1, but this library uses tiny-test@2" in err
    assert "Traceback" not in err


def test_bad_records_are_reported_and_the_rest_imported(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    make_shards(tiny_model, photo_folder, tmp_path / "shards", per_shard=100)
    info = shard_info(tiny_model, [photo_folder])
    good = {
        "path": to_bytes(photo_folder / "p0.jpg"),
        "size": 1,
        "mtime_ns": 1,
        "status": "indexed",
        "hash": "0" * 32,
        "model": info.model,
        "code_kinds": ["semantic"],
        "codes": [b"\x00" * 8],
        "width": 10,
        "height": 10,
        "signature": b"\x00" * 128,
    }
    bad_rows = [
        {**good, "path": b"relative/p.jpg"},
        {**good, "hash": None},
        {**good, "codes": [b"\x00" * 3]},
        {**good, "status": "weird"},
        {**good, "signature": None},
        {**good, "model": "tiny-test@9"},
        {"path": to_bytes(photo_folder / "x.jpg"), "status": "error", "reason": "no_such_reason"},
    ]
    write_rows(tmp_path / "shards", info, bad_rows)
    (tmp_path / "shards" / "zz-not-parquet.parquet").write_bytes(b"PAR1 garbage")
    with Library(tmp_path / "lib.twinlens") as library:
        summary = _import(library, [tmp_path / "shards"])
        whys = [b.why for b in summary.bad]
        assert whys == [
            "no absolute path",
            "no content hash",
            "a semantic code that is not 64 bits",
            "unknown status 'weird'",
            "no pixel signature",
            "codes of the model 'tiny-test@9', not tiny-test@1",
            "an error without a known reason",
        ]
        assert [Path(s).name for s, _ in summary.bad_shards] == ["zz-not-parquet.parquet"]
        assert summary.indexed == 7  # the good shard, whole
        assert summary.failed == 2
        p0 = library.store.photo_by_path(str(photo_folder / "p0.jpg"))
        assert p0 is not None
        assert p0.size > 1  # the real record, not the bad one of size 1


def test_a_known_content_keeps_its_code_and_a_newer_file_row_wins(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    with Library(tmp_path / "lib.twinlens") as library:
        library.run_scan(library.add_roots([photo_folder]))
        before = stored(library)
        content = before["photos"][str(photo_folder / "p0.jpg")][2]
        info = shard_info(tiny_model, [photo_folder])
        renamed = {
            "path": to_bytes(photo_folder / "renamed.jpg"),
            "size": 8,
            "mtime_ns": 5,
            "status": "indexed",
            "hash": content,
            "model": info.model,
            "code_kinds": ["semantic"],
            "codes": [b"\xff" * 8],  # another code for the same bytes (say, from a GPU)
            "width": 320,
            "height": 240,
            "signature": b"\x01" * 128,
        }
        older = {**renamed, "path": to_bytes(photo_folder / "p1.jpg"), "mtime_ns": 1}
        write_rows(tmp_path / "shards", info, [renamed, older])
        summary = _import(library, [tmp_path / "shards"])
        after = stored(library)
        assert summary.written == 1
        assert summary.new_codes == 0
        assert after["codes"][content] == before["codes"][content]
        assert after["photos"][str(photo_folder / "renamed.jpg")][2] == content
        assert (
            after["photos"][str(photo_folder / "p1.jpg")]
            == before["photos"][str(photo_folder / "p1.jpg")]
        )


def _files(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def test_a_rerun_with_another_model_needs_another_folder(
    tiny_model: Path, tmp_path: Path, photo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray", reason="cluster scan needs the cluster extra")
    from twinlens.engine import TwinlensError, cluster_scan

    make_shards(tiny_model, photo_folder, tmp_path / "shards")
    monkeypatch.setenv("TWINLENS_MODEL", str(write_tiny_model(tmp_path / "v2.onnx", "2", 1)))
    with pytest.raises(TwinlensError, match=r"holds shards of the model tiny-test@1, not tiny-"):
        run_to_end(cluster_scan([photo_folder], tmp_path / "shards"))
