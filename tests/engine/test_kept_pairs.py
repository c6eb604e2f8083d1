"""Signature pairs kept in the library: a search adds only the photos that arrived since,
and what it keeps equals what a search of the whole library would find."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from tests.conftest import shared_photos
from twinlens.engine.kept_pairs import FINDER
from twinlens.engine.library import Library
from twinlens.engine.matching.candidates import (
    CandidatePairs,
    signature_codes,
    signature_pairs,
    signature_pairs_of,
    unite,
)
from twinlens.engine.media.signature import to_blob, variants


def _blocks_with_copies(n: int, seed: int = 0) -> np.ndarray:
    """Random DCT blocks; the second half are noisy copies of the first half, each in a
    dihedral variant (mirrored, turned) of its original."""
    rng = np.random.default_rng(seed)
    half = n // 2
    blocks = rng.normal(size=(half, 8, 8)).astype(np.float32)
    turned = np.stack([variants(blocks[i : i + 1])[i % 8][0] for i in range(half)])
    copies = turned + rng.normal(scale=0.15, size=turned.shape).astype(np.float32)
    return np.concatenate([blocks, copies])


def _packed(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return signature_codes([to_blob(b) for b in blocks])


def _as_set(pairs: CandidatePairs) -> set[tuple[int, int, int]]:
    return set(
        zip(
            pairs.left.tolist(),
            pairs.right.tolist(),
            pairs.signature_distance.tolist(),
            strict=True,
        )
    )


def _brute_force(packed: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    """Each pair's least distance between one's variant and the other's upright signature,
    either way round (a variant's bits are taken against its own median: not symmetric)."""
    n = packed.shape[0]
    best = np.full((n, n), 64, dtype=np.int64)
    for v in range(8):
        d = np.bitwise_count(packed[:, v, 0][:, None] ^ packed[:, 0, 0][None, :])
        best = np.minimum(best, d.astype(np.int64))
    best = np.minimum(best, best.T)
    return {
        (i, j, int(best[i, j])) for i in range(n) for j in range(i + 1, n) if best[i, j] <= radius
    }


def test_the_whole_search_finds_every_pair_in_every_variant() -> None:
    packed, has = _packed(_blocks_with_copies(300))
    found = _as_set(signature_pairs(packed, has, 7))
    assert found == _brute_force(packed, 7)
    assert {(i, 150 + i) for i in range(150)} <= {(i, j) for i, j, _ in found}


def test_searching_the_new_photos_adds_exactly_what_a_whole_search_finds() -> None:
    packed, has = _packed(_blocks_with_copies(300, seed=1))
    rng = np.random.default_rng(2)
    new = np.sort(rng.choice(300, size=60, replace=False))
    old = np.setdiff1d(np.arange(300), new)
    before = np.zeros(300, dtype=bool)
    before[old] = True
    kept = signature_pairs(packed, has & before, 7)  # the library before they arrived
    added = signature_pairs_of(packed, has, new, 7)
    assert _as_set(unite(kept, added)) == _as_set(signature_pairs(packed, has, 7))
    touched = set(new.tolist())
    assert all(i in touched or j in touched for i, j, _ in _as_set(added))


def _library_photos(folder: Path) -> Path:
    """Three photos; a mirrored copy of one arrives later."""
    source = shared_photos("kodak")
    folder.mkdir()
    for name in ("kodim03", "kodim05", "kodim13"):
        shutil.copy(next(source.glob(f"{name}.*")), folder)
    return folder


def _kept_count(library: Library) -> tuple[int, int]:
    pairs = library.store.scalar("select count(*) from signature_pairs where finder = ?", [FINDER])
    searched = library.store.scalar("select count(*) from paired where finder = ?", [FINDER])
    return int(pairs), int(searched)


def test_a_library_keeps_its_pairs_and_searches_only_new_photos(tmp_path: Path) -> None:
    photos = _library_photos(tmp_path / "photos")
    with Library(tmp_path / "lib.twinlens") as library:
        library.run_scan(library.add_roots([photos]))
        assert not library.duplicate_groups()
        assert _kept_count(library) == (0, 3)
        with Image.open(photos / "kodim05.png") as image:
            ImageOps.mirror(image.convert("RGB")).save(photos / "kodim05 mirrored.jpg", quality=90)
        library.run_scan()
        groups = library.duplicate_groups()
        assert [sorted(Path(p).name for p in g.paths) for g in groups] == [
            ["kodim05 mirrored.jpg", "kodim05.png"]
        ]
        assert _kept_count(library) == (1, 4)
    # A fresh library of the same photos, searched whole, finds the same pair.
    with Library(tmp_path / "fresh.twinlens") as fresh:
        fresh.run_scan(fresh.add_roots([photos]))
        assert [sorted(g.paths) for g in fresh.duplicate_groups()] == [sorted(groups[0].paths)]


def test_a_photo_that_was_away_is_searched_again_when_it_returns(tmp_path: Path) -> None:
    photos = _library_photos(tmp_path / "photos")
    away = tmp_path / "away"
    away.mkdir()
    with Library(tmp_path / "lib.twinlens") as library:
        library.run_scan(library.add_roots([photos]))
        library.duplicate_groups()
        shutil.move(photos / "kodim13.png", away / "kodim13.png")
        library.run_scan()
        library.duplicate_groups()  # kodim13 is not in the library now
        assert _kept_count(library) == (0, 2)
        # While it is away, its copy arrives; then it comes back.
        with Image.open(away / "kodim13.png") as image:
            image.convert("RGB").save(photos / "kodim13 copy.jpg", quality=85)
        library.run_scan()
        library.duplicate_groups()
        shutil.move(away / "kodim13.png", photos / "kodim13.png")
        library.run_scan()
        groups = library.duplicate_groups()
        assert [sorted(Path(p).name for p in g.paths) for g in groups] == [
            ["kodim13 copy.jpg", "kodim13.png"]
        ]
