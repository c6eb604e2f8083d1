"""Catalog listing for the grid: sort orders, paging, counts, facts, folder removal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.library import Library
from twinlens.engine.storage.catalog import PhotoEntry


@pytest.fixture
def scanned(tmp_path: Path, tiny_model: Path, library: Library) -> Library:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "b.jpg", 1, size=(200, 150))
    make_photo(folder / "a.jpg", 2, size=(640, 480))
    make_photo(folder / "c.jpg", 3, size=(320, 240))
    (folder / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0broken")
    for i, name in enumerate(["a.jpg", "b.jpg", "c.jpg", "bad.jpg"]):
        os.utime(folder / name, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
    library.add_roots([folder])
    library.run_scan()
    return library


def names(entries: list[PhotoEntry]) -> list[str]:
    return [e.name for e in entries]


def test_sort_orders(scanned: Library) -> None:
    assert names(scanned.photos("name")) == ["a.jpg", "b.jpg", "bad.jpg", "c.jpg"]
    assert names(scanned.photos("date")) == ["bad.jpg", "c.jpg", "b.jpg", "a.jpg"]
    assert names(scanned.photos("size"))[0] == "a.jpg"
    with pytest.raises(ValueError, match="unknown sort"):
        scanned.photos("colour")


def test_paging_and_count(scanned: Library) -> None:
    assert scanned.catalog.count_photos() == 4
    page = scanned.photos("name", offset=1, limit=2)
    assert names(page) == ["b.jpg", "bad.jpg"]


def test_failed_photos_carry_their_reason(scanned: Library) -> None:
    failed = scanned.failed_photos()
    assert [(e.name, e.failed) for e in failed] == [("bad.jpg", True)]
    assert failed[0].reason in {"corrupt", "truncated"}


def test_photo_facts(scanned: Library, tmp_path: Path) -> None:
    path = str((tmp_path / "photos" / "a.jpg").resolve())
    facts = scanned.photo_facts(path)
    assert facts is not None
    assert (facts.width, facts.height, facts.name) == (640, 480, "a.jpg")
    assert facts.folder == str((tmp_path / "photos").resolve())
    assert scanned.photo_facts("/nowhere.jpg") is None


def test_remove_root_forgets_rows_and_keeps_files(scanned: Library, tmp_path: Path) -> None:
    root = scanned.roots()[0]
    assert scanned.remove_root(root) == 4
    assert scanned.roots() == []
    assert scanned.catalog.count_photos() == 0
    assert (tmp_path / "photos" / "a.jpg").exists()
