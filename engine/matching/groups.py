"""Duplicate groups from verified pairs, without chaining, each with a suggested keeper.

A group is built around its keeper: members join in order of distance to the keeper and only
if they are linked to every member already in (a clique). So A~B and B~C never put A and C
together unless A~C too. Byte-identical files are one content (the exact tier) before any
pair is looked at. Similar shots are grouped separately, over one representative per
duplicate group, so they are never reported as duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from twinlens.engine.tiers import (
    TIER_EDITED_COPY,
    TIER_EXACT,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    loosest,
)

from .content import Candidate
from .hamming import Pairs, all_pairs
from .keeper import keeper_copy, keeper_reason, rank_key
from .verify import Change, describe

__all__ = [
    "Candidate",
    "DuplicateGroup",
    "Link",
    "Member",
    "code_groups",
    "exact_groups",
    "groups_from_links",
]


@dataclass(frozen=True)
class Member:
    path: str
    distance: int
    """Hamming distance of this file's semantic code to the keeper's (0 for byte copies)."""
    edit: str = ""
    """What this copy is, as an edit of the keeper ("cropped to 82 %", "mirrored"); "" for
    the keeper, byte copies and similar shots."""


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


@dataclass(frozen=True)
class Link:
    """A verified pair ``left < right``: its code distance, tier and what ``right`` is."""

    left: int
    right: int
    distance: int
    tier: str
    change: Change | None = None


def exact_groups(candidates: Sequence[Candidate]) -> list[DuplicateGroup]:
    """Groups of byte-identical files (one content held by several paths)."""
    groups = []
    for candidate in candidates:
        if len(candidate.paths) < 2:
            continue
        keeper = keeper_copy(candidate)
        others = sorted(p for p in candidate.paths if p != keeper)
        members = (Member(keeper, 0), *(Member(p, 0, "identical file") for p in others))
        groups.append(DuplicateGroup(TIER_EXACT, keeper, "oldest copy", members))
    return groups


PairTiers = Callable[[Pairs], list[str]]
"""Names the tier of each close pair (``""`` when the pair is not a match after all)."""


def code_groups(
    candidates: Sequence[Candidate],
    codes: np.ndarray,
    bits: int,
    radius: int,
    pair_tiers: PairTiers,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Clique groups of candidates whose codes lie within ``radius``, tiers by ``pair_tiers``
    (similar shots, tests and benchmarks). Returns the groups and each group's keeper."""
    pairs = all_pairs(codes, bits, radius)
    tiers = pair_tiers(pairs)
    links = [
        Link(i, j, d, t)
        for i, j, d, t in zip(
            pairs.left.tolist(), pairs.right.tolist(), pairs.distance.tolist(), tiers, strict=True
        )
        if t
    ]
    return groups_from_links(candidates, links)


def tiers_by_distance(same_photo_radius: int) -> PairTiers:
    """Unverified tiers from code distance alone (tests and benchmarks of the grouping)."""

    def tiers(pairs: Pairs) -> list[str]:
        return [
            TIER_SAME_PHOTO if d <= same_photo_radius else TIER_EDITED_COPY
            for d in pairs.distance.tolist()
        ]

    return tiers


def all_similar(pairs: Pairs) -> list[str]:
    return [TIER_SIMILAR_SHOT] * len(pairs)


def groups_from_links(
    candidates: Sequence[Candidate], links: Sequence[Link]
) -> tuple[list[DuplicateGroup], list[int]]:
    """Keeper-centred clique groups over verified links; returns the groups and keepers.

    A group's tier is the loosest tier of its keeper's links.
    """
    near: dict[int, dict[int, tuple[int, str, Change | None]]] = defaultdict(dict)
    for link in links:
        inverse = link.change.inverted() if link.change is not None else None
        near[link.left][link.right] = (link.distance, link.tier, link.change)
        near[link.right][link.left] = (link.distance, link.tier, inverse)
    groups, keepers = [], []
    for component in _components(near):
        for keeper, members in _cliques(component, near, candidates):
            groups.append(_make_group(keeper, members, near, candidates))
            keepers.append(keeper)
    return groups, keepers


def _components(near: dict[int, dict[int, tuple[int, str, Change | None]]]) -> list[list[int]]:
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
    component: list[int],
    near: dict[int, dict[int, tuple[int, str, Change | None]]],
    candidates: Sequence[Candidate],
) -> list[tuple[int, list[int]]]:
    """Split a component into keeper-centred cliques, best keeper first."""
    remaining = sorted(component, key=lambda i: rank_key(candidates[i]))
    out = []
    while len(remaining) > 1:
        keeper = remaining[0]
        links = near[keeper]
        joiners = sorted(
            (i for i in remaining[1:] if i in links),
            key=lambda i: (links[i][0], rank_key(candidates[i])),
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
    near: dict[int, dict[int, tuple[int, str, Change | None]]],
    candidates: Sequence[Candidate],
) -> DuplicateGroup:
    best = candidates[keeper]
    keeper_path = keeper_copy(best)
    rows = [Member(keeper_path, 0)]
    rows += [Member(p, 0, "identical file") for p in sorted(best.paths) if p != keeper_path]
    tier = TIER_EXACT
    for node in members[1:]:
        dist, pair_tier, change = near[keeper][node]
        tier = loosest([tier, pair_tier])
        other = candidates[node]
        edit = ""
        if change is not None:
            edit = describe(best.picture, other.picture, change, (best.format, other.format))
        rows += [Member(p, dist, edit) for p in sorted(other.paths)]
    runner_up = candidates[members[1]]
    return DuplicateGroup(tier, keeper_path, keeper_reason(best, runner_up), tuple(rows))
