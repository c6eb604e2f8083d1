"""The bundled samples with the shipped model: every group keeps the original (issue 12).

The originals lie at the top of resources/samples; every copy (a byte copy named
"(copy)" that is the older file, a recompression, a brightened or tilted copy, a PNG made
from a JPEG, an EXIF-rotated copy) lies in edits/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from twinlens.engine.library import Library

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


def test_every_sample_group_keeps_the_original(tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    copy = folder / "edits" / "kodim08 (copy).jpg"
    original = os.stat(folder / "kodim08.jpg").st_mtime_ns
    os.utime(copy, ns=(original - 2_000_000, original - 2_000_000))  # the copy is older
    with Library(tmp_path / "samples.twinlens") as library:
        library.run_scan(library.add_roots([folder]))
        groups = library.duplicate_groups()
    keepers = {Path(g.keeper).name: g for g in groups}
    assert groups
    for group in groups:
        assert Path(group.keeper).parent == folder, (group.keeper, group.keeper_reason)
    assert keepers["kodim08.jpg"].keeper_reason.startswith("name without a copy marker")
    assert (
        keepers["kodim05.jpg"].keeper_reason == "least lossy: JPEG quality 88 over JPEG quality 50"
    )
    assert "kodim14_bright.jpg adds to the name kodim14" in keepers["kodim14.jpg"].keeper_reason
    assert keepers["kodim23.jpg"].keeper_reason.startswith(
        "least lossy: JPEG quality 88 over a PNG"
    )


def test_an_old_copy_of_the_samples_is_refreshed_when_they_change(
    tmp_path: Path, monkeypatch
) -> None:
    from twinlens.engine import bundled_samples

    monkeypatch.setenv("TWINLENS_LIBRARY", str(tmp_path / "lib" / "default.twinlens"))
    copy = bundled_samples()
    (copy / "kodim22.jpg").write_bytes(b"an older sample")
    (copy / "mine.jpg").write_bytes(b"a file of mine")
    (copy / ".twinlens-samples").write_text("stamp of an older Twinlens")
    assert bundled_samples() == copy
    assert (copy / "kodim22.jpg").read_bytes() == (SAMPLES / "kodim22.jpg").read_bytes()
    assert (copy / "mine.jpg").read_bytes() == b"a file of mine"  # nothing is deleted
    (copy / "kodim01.jpg").unlink()  # removed by the person: stays removed
    bundled_samples()
    assert not (copy / "kodim01.jpg").exists()
