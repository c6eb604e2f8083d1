"""``twinlens cluster scan`` on a real local Ray instance with 2 CPUs (marked ``cluster``).

One Ray instance serves the whole module (it takes seconds to start); each test scans a few
tiny photos with the tiny model, so the module stays well inside .ci/run's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.conftest import NOT_UTF8, stored
from tests.conftest import make_photo
from twinlens.engine import ClusterOptions, cluster_scan, import_shards, run_to_end
from twinlens.engine.cli import main
from twinlens.engine.library import Library
from twinlens.engine.paths import to_bytes

ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install 'twinlens[cluster]'")
pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]


@pytest.fixture(scope="module", autouse=True)
def _local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield
    ray.shutdown()


def _import(library_path: Path, shards: Path) -> Library:
    library = Library(library_path)
    run_to_end(import_shards(library.store, library.model, [shards]))
    return library


def test_cluster_scan_writes_what_a_local_scan_stores(
    tiny_model: Path, tmp_path: Path, photo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shards"
    assert main(["cluster", "scan", str(photo_folder), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Files: 9 to index (0 already in" in err
    assert "7 indexed on 2 CPUs, 0 GPUs, 1 encoder(s)" in err
    assert "Could not read: 1 empty" in err
    with _import(tmp_path / "imported.twinlens", out) as imported:
        with Library(tmp_path / "scanned.twinlens") as scanned:
            scanned.run_scan(scanned.add_roots([photo_folder]))
            assert stored(imported) == stored(scanned)
        assert str(photo_folder / NOT_UTF8) in stored(imported)["photos"]
        assert [len(g.paths) for g in imported.duplicate_groups()] == [2, 2]


def test_a_rerun_skips_what_the_folder_holds(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    out = tmp_path / "shards"
    first = run_to_end(cluster_scan([photo_folder], out, ClusterOptions(shard_rows=4)))
    assert (first.listed, first.indexed, len(first.shards)) == (9, 7, 3)
    assert first.errors == {"empty": 1, "truncated": 1}
    again = run_to_end(cluster_scan([photo_folder], out))
    assert (again.already_done, again.listed, again.shards) == (9, 0, [])
    make_photo(photo_folder / "new.jpg", seed=99)
    (photo_folder / "p1.jpg").write_bytes((photo_folder / "p2.jpg").read_bytes())  # changed
    third = run_to_end(cluster_scan([photo_folder], out))
    assert (third.listed, third.indexed, len(third.shards)) == (2, 2, 1)
    with _import(tmp_path / "lib.twinlens", out) as library:
        rows = stored(library)["photos"]
        assert len(rows) == 10
        assert rows[str(photo_folder / "p1.jpg")][2] == rows[str(photo_folder / "p2.jpg")][2]


def test_a_file_list_is_read_as_exact_bytes(
    tiny_model: Path, tmp_path: Path, photo_folder: Path
) -> None:
    names = [photo_folder / "p0.jpg", photo_folder / NOT_UTF8, photo_folder / "gone.jpg"]
    listing = tmp_path / "files.txt"
    listing.write_bytes(b"\n".join(to_bytes(p) for p in names) + b"\n")
    out = tmp_path / "shards"
    summary = run_to_end(cluster_scan([], out, file_list=listing))
    assert (summary.listed, summary.indexed, summary.errors) == (3, 2, {"vanished": 1})
    with _import(tmp_path / "lib.twinlens", out) as library:
        assert set(stored(library)["photos"]) == {str(p) for p in names}
        assert library.errors() == [(str(names[2]), "vanished", "listed, but not found")]
