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

from twinlens.engine.media.signature import SIGNATURE_EDITED_COPY, SIGNATURE_SAME_PHOTO, from_blobs
from twinlens.engine.media.signature import distances as signature_distances
from twinlens.engine.tiers import (
    TIER_EDITED_COPY,
    TIER_EXACT,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    loosest,
)

from .hamming import Pairs, all_pairs


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
    signature: bytes | None = None
    """Pixel-structure signature (signature.py) that verifies code matches."""

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


PairTiers = Callable[[Pairs], list[str]]
"""Names the tier of each close pair (``""`` when the pair is not a match after all)."""


def code_groups(
    candidates: Sequence[Candidate],
    codes: np.ndarray,
    bits: int,
    radius: int,
    pair_tiers: PairTiers,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Clique groups of candidates whose codes lie within ``radius`` and whose pair is a match.

    Returns the groups and each group's keeper index. A group's tier is the loosest tier of
    its keeper's pairs.
    """
    pairs = all_pairs(codes, bits, radius)
    tiers = pair_tiers(pairs)
    near: dict[int, dict[int, tuple[int, str]]] = defaultdict(dict)
    for left, right, dist, tier in zip(
        pairs.left.tolist(), pairs.right.tolist(), pairs.distance.tolist(), tiers, strict=True
    ):
        if tier:
            near[left][right] = (dist, tier)
            near[right][left] = (dist, tier)
    groups, keepers = [], []
    for component in _components(near):
        for keeper, members in _cliques(component, near, candidates):
            groups.append(_make_group(keeper, members, near, candidates))
            keepers.append(keeper)
    return groups, keepers


def tiers_by_distance(same_photo_radius: int) -> PairTiers:
    """Unverified tiers from code distance alone (tests, benchmarks, models without checks)."""

    def tiers(pairs: Pairs) -> list[str]:
        return [
            TIER_SAME_PHOTO if d <= same_photo_radius else TIER_EDITED_COPY
            for d in pairs.distance.tolist()
        ]

    return tiers


def classify_pairs(
    code_distance: np.ndarray,
    signature_distance: np.ndarray,
    radii: dict[str, int],
) -> list[str]:
    """Name each pair's tier from its code and signature distances ("" for no match).

    Duplicates need both: codes within the candidate radius and agreeing pixel structure.
    A pair whose codes are close but whose pixels differ is at most a similar shot.
    """
    code = np.asarray(code_distance)
    sig = np.asarray(signature_distance)
    same = (code <= radii[TIER_SAME_PHOTO]) & (sig <= SIGNATURE_SAME_PHOTO)
    edited = (code <= radii[TIER_EDITED_COPY]) & (sig <= SIGNATURE_EDITED_COPY)
    similar = code <= radii[TIER_SIMILAR_SHOT]
    names = np.where(
        same,
        TIER_SAME_PHOTO,
        np.where(edited, TIER_EDITED_COPY, np.where(similar, TIER_SIMILAR_SHOT, "")),
    )
    return [str(n) for n in names]


def signature_distance(left: Sequence[bytes | None], right: Sequence[bytes | None]) -> np.ndarray:
    """Signature distance of paired blobs; 64 (no agreement) where either is missing."""
    far = np.full(len(left), 64)
    both = np.array([a is not None and b is not None for a, b in zip(left, right, strict=True)])
    if both.any():
        a = from_blobs([x for x, ok in zip(left, both, strict=True) if ok])
        b = from_blobs([x for x, ok in zip(right, both, strict=True) if ok])
        far[both] = signature_distances(a, b)
    return far


def tiers_verified_by_signature(
    candidates: Sequence[Candidate], radii: dict[str, int]
) -> PairTiers:
    """Duplicate tiers only for pairs whose pixel structure agrees (see classify_pairs)."""
    blobs = [c.signature for c in candidates]

    def tiers(pairs: Pairs) -> list[str]:
        sig = signature_distance(
            [blobs[i] for i in pairs.left.tolist()], [blobs[j] for j in pairs.right.tolist()]
        )
        names = classify_pairs(pairs.distance, sig, radii)
        return [n if n != TIER_SIMILAR_SHOT else "" for n in names]

    return tiers


def all_similar(pairs: Pairs) -> list[str]:
    return [TIER_SIMILAR_SHOT] * len(pairs)


def _components(near: dict[int, dict[int, tuple[int, str]]]) -> list[list[int]]:
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
    near: dict[int, dict[int, tuple[int, str]]],
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
    near: dict[int, dict[int, tuple[int, str]]],
    candidates: Sequence[Candidate],
) -> DuplicateGroup:
    best = candidates[keeper]
    keeper_path = _keeper_copy(best)
    rows = [Member(keeper_path, 0)]
    rows += [Member(p, 0) for p in sorted(best.paths) if p != keeper_path]
    tier = TIER_EXACT
    for node in members[1:]:
        dist, pair_tier = near[keeper][node]
        tier = loosest([tier, pair_tier])
        rows += [Member(p, dist) for p in sorted(candidates[node].paths)]
    runner_up = candidates[members[1]]
    return DuplicateGroup(tier, keeper_path, keeper_reason(best, runner_up), tuple(rows))


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


def find_groups(
    candidates: Sequence[Candidate],
    codes: np.ndarray,
    bits: int,
    radii: dict[str, int],
    dismissed: Sequence[frozenset[str]] = (),
    include_similar: bool = False,
) -> list[DuplicateGroup]:
    """Exact, same-photo and edited-copy groups; similar shots only when asked, apart.

    Byte copies inside a code group are shown there; lone byte copies get the exact tier.
    Groups the user marked "not a duplicate" stay hidden while they hold nothing new.
    """
    groups, keepers = code_groups(
        candidates,
        codes,
        bits,
        radii[TIER_EDITED_COPY],
        tiers_verified_by_signature(candidates, radii),
    )
    grouped = {m.path for g in groups for m in g.members}
    exact = [g for g in exact_groups(candidates) if g.keeper not in grouped]
    content_of = {p: c.hash for c in candidates for p in c.paths} if dismissed else {}
    result = [g for g in exact + groups if not _dismissed(g, content_of, dismissed)]
    if include_similar:
        representatives = set(keepers)
        chosen = [
            i
            for i, c in enumerate(candidates)
            if i in representatives or not any(p in grouped for p in c.paths)
        ]
        similar, _ = code_groups(
            [candidates[i] for i in chosen],
            codes[chosen],
            bits,
            radii[TIER_SIMILAR_SHOT],
            all_similar,
        )
        result += similar
    return result


def _dismissed(
    group: DuplicateGroup, content_of: dict[str, str], marked: Sequence[frozenset[str]]
) -> bool:
    if not marked:
        return False
    hashes = {content_of[m.path] for m in group.members}
    return any(hashes <= mark for mark in marked)
