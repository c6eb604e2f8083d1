"""Scanning: incremental, identity by content, one bad photo never stops a scan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_photo, write_png_bomb
from twinlens.engine.library import Library


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(6):
        make_photo(photos / f"p{index}.jpg", seed=index)
    return photos


def _codes(library: Library) -> dict[str, bytes]:
    return {
        path: code
        for path, _, _, code in library.store.indexed_codes(library.model.key, "semantic")
    }


def test_scan_indexes_every_photo(tiny_model: Path, library: Library, folder: Path) -> None:
    summary = library.run_scan(library.add_roots([folder]))
    assert summary.encoded == 6
    assert summary.errors == []
    assert library.info().indexed == 6


def test_rescan_skips_unchanged_files(tiny_model: Path, library: Library, folder: Path) -> None:
    library.run_scan(library.add_roots([folder]))
    again = library.run_scan()
    assert again.unchanged == 6
    assert again.encoded == 0


def test_rename_and_move_keep_the_code_without_encoding(
    tiny_model: Path, library: Library, folder: Path
) -> None:
    library.run_scan(library.add_roots([folder]))
    before = _codes(library)
    (folder / "sub").mkdir()
    (folder / "p0.jpg").rename(folder / "renamed.jpg")
    (folder / "p1.jpg").rename(folder / "sub" / "moved.jpg")
    summary = library.run_scan()
    assert summary.encoded == 0
    assert summary.reused == 2
    assert summary.removed == 2
    after = _codes(library)
    assert after[str(folder / "renamed.jpg")] == before[str(folder / "p0.jpg")]
    assert after[str(folder / "sub" / "moved.jpg")] == before[str(folder / "p1.jpg")]
    assert str(folder / "p0.jpg") not in after


def test_modified_file_is_encoded_again(tiny_model: Path, library: Library, folder: Path) -> None:
    library.run_scan(library.add_roots([folder]))
    before = _codes(library)[str(folder / "p2.jpg")]
    make_photo(folder / "p2.jpg", seed=99)
    summary = library.run_scan()
    assert summary.encoded == 1
    assert _codes(library)[str(folder / "p2.jpg")] != before


def test_bad_files_are_recorded_with_reasons_and_the_rest_indexed(
    tiny_model: Path, library: Library, folder: Path
) -> None:
    (folder / "empty.jpg").write_bytes(b"")
    data = (folder / "p3.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 3])
    (folder / "mislabelled.png").write_text("this is a text file")
    write_png_bomb(folder / "gigantic.png", 90_000, 90_000)
    (folder / "readme.txt").write_text("not a photo, not even looked at")
    summary = library.run_scan(library.add_roots([folder]))
    reasons = {Path(e.path).name: e.reason for e in summary.errors}
    assert reasons == {
        "empty.jpg": "empty",
        "truncated.jpg": "truncated",
        "mislabelled.png": "not_an_image",
        "gigantic.png": "too_large",
    }
    assert summary.encoded == 6
    info = library.info()
    assert info.errors == {"empty": 1, "not_an_image": 1, "too_large": 1, "truncated": 1}
    # A fixed file is picked up by the next scan.
    make_photo(folder / "truncated.jpg", seed=42)
    assert library.run_scan().encoded == 1
    assert "truncated" not in library.info().errors


def test_byte_copies_form_the_exact_tier(tiny_model: Path, library: Library, folder: Path) -> None:
    shutil.copyfile(folder / "p4.jpg", folder / "p4 copy.jpg")
    summary = library.run_scan(library.add_roots([folder]))
    assert summary.encoded == 6  # the copy's content is encoded once
    assert summary.reused == 1
    groups = library.duplicate_groups()
    exact = [g for g in groups if g.tier == "exact"]
    assert len(exact) == 1
    assert sorted(Path(p).name for p in exact[0].paths) == ["p4 copy.jpg", "p4.jpg"]


def test_new_model_triggers_reencoding_not_mixing(
    tiny_model: Path, library_path: Path, folder: Path, tmp_path: Path, monkeypatch
) -> None:
    from tests.tiny_model import write_tiny_model

    with Library(library_path) as library:
        library.run_scan(library.add_roots([folder]))
    newer = write_tiny_model(tmp_path / "tiny2.onnx", version="2", seed=7)
    monkeypatch.setenv("TWINLENS_MODEL", str(newer))
    with Library(library_path) as library:
        assert library.info().indexed == 0  # old codes are not used by the new model
        summary = library.run_scan()
        assert summary.encoded == 6
        assert library.info().model == "tiny-test@2"
        assert library.info().indexed == 6


def test_missing_root_keeps_its_records(tiny_model: Path, library: Library, folder: Path) -> None:
    library.run_scan(library.add_roots([folder]))
    shutil.move(folder, folder.with_name("unplugged"))
    summary = library.run_scan()
    assert summary.missing_roots == [str(folder)]
    assert library.info().photos == 6


def test_similar_finds_the_edited_copy_first(
    tiny_model: Path, library: Library, folder: Path, tmp_path: Path
) -> None:
    from PIL import Image

    library.run_scan(library.add_roots([folder]))
    query = tmp_path / "query.png"
    with Image.open(folder / "p5.jpg") as image:
        image.resize((160, 120)).save(query)
    answer = library.search_file(query, top=3)
    assert Path(answer.results[0].path).name == "p5.jpg"
    assert answer.in_library == "same_photo"
    assert Path(answer.closest or "").name == "p5.jpg"
    assert answer.results[0].distance <= answer.results[1].distance
