"""Duplicate groups from close code pairs, without chaining, each with a suggested keeper.

A group is built around its keeper: members join in order of distance to the keeper and only
if they are within the radius of every member already in (a clique). So A~B and B~C never put
A and C together unless A~C too. Byte-identical files are one node (the exact tier) before
any code is compared. Similar shots are grouped separately, over one representative per
duplicate group, so they are never reported as duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .hamming import all_pairs
from .model_meta import TIER_EDITED_COPY, TIER_EXACT, TIER_SAME_PHOTO, TIER_SIMILAR_SHOT


@dataclass(frozen=True)
class Candidate:
    """One distinct content (hash) and every file that holds it."""

    hash: str
    paths: tuple[str, ...]
    mtimes: tuple[int, ...]
    pixels: int
    width: int
    height: int
    camera: str
    taken_at: str

    @property
    def has_camera_metadata(self) -> bool:
        return bool(self.camera or self.taken_at)


@dataclass(frozen=True)
class Member:
    path: str
    distance: int
    """Hamming distance of this file's code to the keeper's (0 for byte copies)."""


@dataclass(frozen=True)
class DuplicateGroup:
    tier: str
    keeper: str
    keeper_reason: str
    members: tuple[Member, ...]
    """Every file of the group, the keeper first."""

    @property
    def paths(self) -> list[str]:
        return [m.path for m in self.members]


def rank_key(candidate: Candidate) -> tuple[int, int, int, str]:
    """Keeper preference: most pixels, then camera metadata, then oldest, then name."""
    return (
        -candidate.pixels,
        0 if candidate.has_camera_metadata else 1,
        min(candidate.mtimes),
        min(candidate.paths),
    )


def exact_groups(candidates: Sequence[Candidate]) -> list[DuplicateGroup]:
    """Groups of byte-identical files (one content held by several paths)."""
    groups = []
    for candidate in candidates:
        if len(candidate.paths) < 2:
            continue
        keeper = _keeper_copy(candidate)
        others = sorted(p for p in candidate.paths if p != keeper)
        members = (Member(keeper, 0), *(Member(p, 0) for p in others))
        groups.append(DuplicateGroup(TIER_EXACT, keeper, "oldest copy", members))
    return groups


def code_groups(
    candidates: Sequence[Candidate],
    codes: np.ndarray,
    bits: int,
    radius: int,
    tier_of: Callable[[int], str],
) -> tuple[list[DuplicateGroup], list[int]]:
    """Clique groups of candidates within ``radius``; returns the groups and each keeper index.

    ``tier_of`` names a group from its largest keeper distance.
    """
    pairs = all_pairs(codes, bits, radius)
    near: dict[int, dict[int, int]] = defaultdict(dict)
    for left, right, dist in zip(
        pairs.left.tolist(), pairs.right.tolist(), pairs.distance.tolist(), strict=True
    ):
        near[left][right] = dist
        near[right][left] = dist
    groups, keepers = [], []
    for component in _components(near):
        for keeper, members in _cliques(component, near, candidates):
            groups.append(_make_group(keeper, members, near, candidates, tier_of))
            keepers.append(keeper)
    return groups, keepers


def duplicate_tier(same_photo_radius: int) -> Callable[[int], str]:
    def tier(max_distance: int) -> str:
        return TIER_SAME_PHOTO if max_distance <= same_photo_radius else TIER_EDITED_COPY

    return tier


def similar_tier(_: int) -> str:
    return TIER_SIMILAR_SHOT


def _components(near: dict[int, dict[int, int]]) -> list[list[int]]:
    seen: set[int] = set()
    components = []
    for start in sorted(near):
        if start in seen:
            continue
        stack, component = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            component.append(node)
            for other in near[node]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        components.append(component)
    return components


def _cliques(
    component: list[int], near: dict[int, dict[int, int]], candidates: Sequence[Candidate]
) -> list[tuple[int, list[int]]]:
    """Split a component into keeper-centred cliques, best keeper first."""
    remaining = sorted(component, key=lambda i: rank_key(candidates[i]))
    out = []
    while len(remaining) > 1:
        keeper = remaining[0]
        links = near[keeper]
        joiners = sorted(
            (i for i in remaining[1:] if i in links),
            key=lambda i: (links[i], rank_key(candidates[i])),
        )
        members = [keeper]
        for node in joiners:
            if all(node in near[m] for m in members[1:]):
                members.append(node)
        if len(members) > 1:
            out.append((keeper, members))
        taken = set(members)
        remaining = [i for i in remaining if i not in taken]
    return out


def _make_group(
    keeper: int,
    members: list[int],
    near: dict[int, dict[int, int]],
    candidates: Sequence[Candidate],
    tier_of: Callable[[int], str],
) -> DuplicateGroup:
    best = candidates[keeper]
    keeper_path = _keeper_copy(best)
    rows = [Member(keeper_path, 0)]
    rows += [Member(p, 0) for p in sorted(best.paths) if p != keeper_path]
    worst = 0
    for node in members[1:]:
        dist = near[keeper][node]
        worst = max(worst, dist)
        rows += [Member(p, dist) for p in sorted(candidates[node].paths)]
    runner_up = candidates[members[1]]
    return DuplicateGroup(tier_of(worst), keeper_path, keeper_reason(best, runner_up), tuple(rows))


def keeper_reason(keeper: Candidate, other: Candidate) -> str:
    """Why ``keeper`` was preferred over the next best member, in words."""
    if keeper.pixels > other.pixels:
        return f"largest: {keeper.width}x{keeper.height} pixels"
    if keeper.has_camera_metadata and not other.has_camera_metadata:
        what = keeper.camera or f"taken {keeper.taken_at}"
        return f"has the original camera metadata ({what})"
    if min(keeper.mtimes) < min(other.mtimes):
        return "oldest file"
    return "same size and age; first by name"


def _keeper_copy(candidate: Candidate) -> str:
    """Of byte-identical copies, the oldest file, then the shortest and first path."""
    ranked = sorted(
        zip(candidate.mtimes, candidate.paths, strict=True), key=lambda t: (t[0], len(t[1]), t[1])
    )
    return ranked[0][1]
