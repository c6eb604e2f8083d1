"""Search by example: the "already in your library?" answer and collapsed copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import make_photo
from twinlens.engine.library import Library
from twinlens.engine.matching.search import NO_MATCH


@pytest.fixture
def scanned(tmp_path: Path, tiny_model: Path, library: Library) -> Library:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "one.jpg", 1, size=(400, 300))
    shutil.copy(folder / "one.jpg", folder / "one-copy.jpg")
    Image.open(folder / "one.jpg").resize((200, 150)).save(folder / "one-small.jpg", quality=90)
    for seed in range(2, 6):
        make_photo(folder / f"other{seed}.jpg", seed * 17)
    library.add_roots([folder])
    library.run_scan()
    return library


def test_a_similar_picture_with_close_codes_is_a_similar_shot_not_a_duplicate(
    scanned: Library, tmp_path: Path
) -> None:
    """Another picture whose code lands close is at most a similar shot: the pixels decide."""
    query = make_photo(tmp_path / "elsewhere.jpg", 3 * 17 + 1)
    answer = scanned.search_file(query)
    assert answer.in_library in {NO_MATCH, "similar_shot"}
    assert all(r.tier in {NO_MATCH, "similar_shot"} for r in answer.results)


def test_a_file_outside_the_library_with_the_same_bytes_is_exact(
    scanned: Library, tmp_path: Path
) -> None:
    outside = tmp_path / "download.jpg"
    shutil.copy(tmp_path / "photos" / "one.jpg", outside)
    answer = scanned.search_file(outside)
    assert answer.in_library == "exact"
    assert answer.closest is not None
    assert answer.closest.endswith("one-copy.jpg")


def test_copies_of_one_photo_collapse_into_one_result(scanned: Library, tmp_path: Path) -> None:
    answer = scanned.search_file(tmp_path / "photos" / "one.jpg")
    first = answer.results[0]
    collapsed = {Path(first.path).name, *(Path(p).name for p in first.copies)}
    assert collapsed == {"one-copy.jpg", "one-small.jpg"}
    assert len(answer.results) == 5  # the collapsed photo plus the four others


def test_image_data_search_answers_same_photo(scanned: Library, tmp_path: Path) -> None:
    data = (tmp_path / "photos" / "one-small.jpg").read_bytes()
    answer = scanned.search_data(data)
    assert answer.in_library == "exact"  # the very bytes of one-small.jpg
    reencoded = tmp_path / "re.png"
    Image.open(tmp_path / "photos" / "one.jpg").save(reencoded)
    answer = scanned.search_data(reencoded.read_bytes())
    assert answer.in_library == "same_photo"
