"""Shared by the cluster tests: a folder of photos with bad files, and what a library stores."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_photo
from twinlens.engine.library import Library

NOT_UTF8 = os.fsdecode(b"caf\xe9.jpg")


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    """Five photos, a byte copy, a copy under a name that is not UTF-8, and two bad files."""
    folder = tmp_path / "archive" / "photos"
    (folder / "sub").mkdir(parents=True)
    for index in range(5):
        make_photo(folder / ("sub" if index > 2 else ".") / f"p{index}.jpg", seed=index)
    shutil.copy2(folder / "p0.jpg", folder / "copy_of_p0.jpg")
    shutil.copy2(folder / "p1.jpg", folder / NOT_UTF8)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (folder / "empty.png").write_bytes(b"")
    return folder


def stored(library: Library) -> dict[str, Any]:
    """Everything a scan stores about a library's files, comparable across libraries."""
    store = library.store
    model = library.model.key
    photos = {
        r.path: (r.size, r.mtime_ns, r.hash, r.status, r.reason)
        for r in store.indexed_photos() + store.error_photos()
    }
    codes = {h: code for _, h, _, code in store.indexed_codes(model, "semantic")}
    facts = store.facts(codes)
    thumbs = store.thumbs(codes)
    assert all(thumbs.values())  # the verification thumbnail travels too
    return {
        "photos": photos,
        "codes": codes,
        "facts": facts,
        "thumbs": thumbs,
        "roots": store.roots(),
    }
