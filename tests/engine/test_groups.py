"""Duplicate grouping: no chaining, exact copies apart, keeper rules with their reasons."""

from __future__ import annotations

import numpy as np

from twinlens.engine.matching.groups import (
    Candidate,
    code_groups,
    exact_groups,
    tiers_by_distance,
)
from twinlens.engine.model import codes


def _candidate(name: str, pixels: int = 100, camera: str = "", mtime: int = 0, copies: int = 1):
    paths = tuple(f"/p/{name}{'' if i == 0 else f'_{i}'}.jpg" for i in range(copies))
    return Candidate(
        hash=name,
        paths=paths,
        mtimes=tuple(mtime + i for i in range(copies)),
        pixels=pixels,
        width=pixels,
        height=1,
        camera=camera,
        taken_at="",
    )


def _codes(flips: list[list[int]]) -> np.ndarray:
    """Codes that differ from an all-zero code in the given bit positions."""
    raw = np.zeros((len(flips), 64), dtype=np.uint8)
    for row, positions in enumerate(flips):
        raw[row, positions] = 1
    return codes.pack_bits(raw)


def test_groups_do_not_chain() -> None:
    # A~B (2 bits), B~C (2 bits), A and C are 4 bits apart: with radius 3 they must not join.
    cands = [_candidate("a", 300), _candidate("b", 200), _candidate("c", 100)]
    packed = _codes([[], [0, 1], [0, 1, 2, 3]])
    groups, _ = code_groups(cands, packed, 64, 3, tiers_by_distance(1))
    assert len(groups) == 1
    assert groups[0].paths == ["/p/a.jpg", "/p/b.jpg"]


def test_every_member_is_within_radius_of_every_other() -> None:
    rng = np.random.default_rng(3)
    n = 60
    raw = np.zeros((n, 64), dtype=np.uint8)
    for row in range(n):  # a dense cloud around one code: lots of chaining opportunities
        raw[row, rng.choice(64, size=rng.integers(0, 5), replace=False)] = 1
    packed = codes.pack_bits(raw)
    cands = [_candidate(f"x{i:02d}", pixels=int(rng.integers(1, 1000))) for i in range(n)]
    groups, _ = code_groups(cands, packed, 64, 3, tiers_by_distance(1))
    index = {c.paths[0]: i for i, c in enumerate(cands)}
    seen: set[str] = set()
    assert groups
    for group in groups:
        rows = [index[p] for p in group.paths]
        assert not seen & set(group.paths)
        seen |= set(group.paths)
        for i in rows:
            for j in rows:
                assert (raw[i] != raw[j]).sum() <= 3
        # keeper is the best ranked member: the most pixels
        assert cands[rows[0]].pixels == max(cands[r].pixels for r in rows)


def test_tier_follows_the_largest_distance() -> None:
    cands = [_candidate("a", 300), _candidate("b", 200), _candidate("c", 100), _candidate("d")]
    packed = _codes([[], [5], [40, 41], [10, 11, 12, 13, 14, 15, 16, 17]])
    groups, _ = code_groups(cands[:2], packed[:2], 64, 4, tiers_by_distance(1))
    assert groups[0].tier == "same_photo"
    groups, _ = code_groups(cands[:3], packed[:3], 64, 4, tiers_by_distance(1))
    assert groups[0].tier == "edited_copy"
    assert groups[0].members[-1].distance == 2


def test_exact_copies_form_their_own_tier() -> None:
    cands = [_candidate("a", copies=3, mtime=10), _candidate("b")]
    groups = exact_groups(cands)
    assert len(groups) == 1
    assert groups[0].tier == "exact"
    assert groups[0].keeper == "/p/a.jpg"  # the shortest path (no copy marks, same age)
    assert [m.distance for m in groups[0].members] == [0, 0, 0]
