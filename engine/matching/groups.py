"""Duplicate groups from verified pairs, each with a suggested keeper.

Two ways of joining, for two kinds of link:
- verified duplicate links (``groups_from_links``) join by connected component: each link
  says "the same photo, edited", so a crop of a resized copy of a photo belongs with the
  photo even when the crop and the photo were not compared directly;
- code-distance links (``code_groups``: similar shots, which are different photos) join only
  as keeper-centred cliques, so A~B and B~C never put A and C together unless A~C too.
Byte-identical files are one content (the exact tier) before any pair is looked at. Similar
shots are grouped separately, over one representative per duplicate group, so they are never
reported as duplicates.
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
    is_duplicate,
    loosest,
)

from .content import Candidate
from .hamming import Pairs, all_pairs
from .keeper import DEFAULT_RULE, KeeperRule, Ranking
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
    reference: bool = False
    """In a reference folder: never proposed for removal (issue 12)."""
    pair: str = ""
    """"raw" or "jpeg" when this file is one half of a RAW + JPEG pair (pairs.py)."""
    kept: str = ""
    """Why this file is never proposed for removal, in words ("" when it may be)."""


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

    @property
    def raw_jpeg_pair(self) -> bool:
        """One shot in two formats and nothing else: shown as a "RAW + JPEG pair"."""
        return all(m.pair for m in self.members)

    def proposed_for_removal(self) -> list[str]:
        """Every file but the keeper, less those always kept (reference folders, pairs);
        nothing for similar shots, which are different photos."""
        if not is_duplicate(self.tier):
            return []
        return [m.path for m in self.members if m.path != self.keeper and not m.kept]


@dataclass(frozen=True)
class Link:
    """A verified pair ``left < right``: its code distance, tier and what ``right`` is."""

    left: int
    right: int
    distance: int
    tier: str
    change: Change | None = None


def exact_groups(
    candidates: Sequence[Candidate], rule: KeeperRule = DEFAULT_RULE
) -> list[DuplicateGroup]:
    """Groups of byte-identical files (one content held by several paths)."""
    groups = []
    for candidate in candidates:
        if len(candidate.paths) < 2:
            continue
        ranking = Ranking(rule, [candidate])
        keeper, *others = ranking.ordered_paths()
        members = (
            _member(ranking, keeper, 0),
            *(_member(ranking, p, 0, "identical file") for p in others),
        )
        reason = ranking.reason(keeper, others[0])
        groups.append(DuplicateGroup(TIER_EXACT, keeper, reason, members))
    return groups


def _member(ranking: Ranking, path: str, distance: int, edit: str = "") -> Member:
    reference = ranking.view(path).reference
    kept = "in a reference folder, whose photos are always kept" if reference else ""
    return Member(path, distance, edit, reference=reference, kept=kept)


PairTiers = Callable[[Pairs], list[str]]
"""Names the tier of each close pair (``""`` when the pair is not a match after all)."""


def code_groups(
    candidates: Sequence[Candidate],
    codes: np.ndarray,
    bits: int,
    radius: int,
    pair_tiers: PairTiers,
    rule: KeeperRule = DEFAULT_RULE,
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
    return groups_from_links(candidates, links, cliques=True, rule=rule)


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
    candidates: Sequence[Candidate],
    links: Sequence[Link],
    cliques: bool = False,
    rule: KeeperRule = DEFAULT_RULE,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Groups over links: connected components (verified duplicates), or keeper-centred
    cliques (``cliques``: code-distance links). Returns the groups and each keeper's row.

    A group's tier is the loosest tier of its links; a member's edit is named from its own
    link to the keeper (none when it joined through another copy).
    """
    near = _near(links)
    groups, keepers = [], []
    for component in _components(near):
        ranking = Ranking(rule, [candidates[i] for i in component])
        if cliques:
            parts = _cliques(component, near, candidates, ranking)
        else:
            ordered = sorted(component, key=lambda i: ranking.key(candidates[i]))
            parts = [(ordered[0], ordered)]
        for keeper, members in parts:
            groups.append(_make_group(keeper, members, near, candidates, ranking))
            keepers.append(keeper)
    return groups, keepers


def _near(links: Sequence[Link]) -> dict[int, dict[int, tuple[int, str, Change | None]]]:
    near: dict[int, dict[int, tuple[int, str, Change | None]]] = defaultdict(dict)
    for link in links:
        inverse = link.change.inverted() if link.change is not None else None
        near[link.left][link.right] = (link.distance, link.tier, link.change)
        near[link.right][link.left] = (link.distance, link.tier, inverse)
    return near


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
    ranking: Ranking,
) -> list[tuple[int, list[int]]]:
    """Split a component into keeper-centred cliques, best keeper first."""
    remaining = sorted(component, key=lambda i: ranking.key(candidates[i]))
    out = []
    while len(remaining) > 1:
        keeper = remaining[0]
        links = near[keeper]
        joiners = sorted(
            (i for i in remaining[1:] if i in links),
            key=lambda i: (links[i][0], ranking.key(candidates[i])),
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
    ranking: Ranking,
) -> DuplicateGroup:
    best = candidates[keeper]
    keeper_path = ranking.best_path(best)
    rows = [_member(ranking, keeper_path, 0)]
    rows += [
        _member(ranking, p, 0, "identical file") for p in sorted(best.paths) if p != keeper_path
    ]
    tier = TIER_EXACT
    for node in members[1:]:
        tier = loosest([tier, *(t for _, t, _ in near[node].values())])
        other = candidates[node]
        dist, edit = 0, ""
        if node in near[keeper]:
            dist, _, change = near[keeper][node]
            if change is not None:
                edit = describe(best.picture, other.picture, change, (best.format, other.format))
        else:
            dist = min(d for d, _, _ in near[node].values())
        rows += [_member(ranking, p, dist, edit) for p in sorted(other.paths)]
    files = sorted((m.path for m in rows), key=ranking.file_key)
    return DuplicateGroup(tier, keeper_path, ranking.reason(files[0], files[1]), tuple(rows))
