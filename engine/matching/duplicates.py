"""Finding every duplicate group of a library: candidates, the verification ladder, groups.

Candidates come from the pixel-structure signature (all 8 dihedral variants) and from a
learned code's nearest neighbours (candidates.py); each pair climbs the verification ladder
(verify.py), cheapest step first; verified pairs become keeper-centred groups (groups.py).
Similar shots are built apart, by the semantic code, over what is not a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinlens.engine.tiers import TIER_SIMILAR_SHOT

from .candidates import (
    CODE,
    code_pairs,
    signature_codes,
    signature_evidence,
    signature_pairs,
    unite,
)
from .content import Candidate
from .groups import DuplicateGroup, Link, all_similar, code_groups, exact_groups, groups_from_links
from .hamming import row_distances
from .verify import (
    SIGNATURE_CANDIDATE_RADIUS,
    GreyLoader,
    ThumbSource,
    Verdict,
    can_align,
    geometric_verdicts,
    global_verdicts,
)


@dataclass(frozen=True)
class CandidatePlan:
    """Which learned code proposes candidates, and how many."""

    kind: str
    """The code kind searched ("duplicate" when the model has one, else "semantic")."""
    neighbours: int
    max_radius: int


@dataclass(frozen=True)
class Evidence:
    """What the ladder reads beyond codes: thumbnails, decodes, and the verdict cache."""

    thumbs_of: ThumbSource
    load_grey: GreyLoader
    cached: Callable[[str, str], Verdict | None] = lambda a, b: None
    remember: Callable[[str, str, Verdict], None] = lambda a, b, v: None


@dataclass
class Report:
    """How many pairs each source and step handled: the benchmark prints it."""

    signature_pairs: int = 0
    code_pairs: int = 0
    candidates: int = 0
    global_verified: int = 0
    geometric_checked: int = 0
    geometric_verified: int = 0
    groups: int = 0
    sources: dict[str, int] = field(default_factory=dict)


def find_duplicates(
    candidates: Sequence[Candidate],
    codes: dict[str, np.ndarray],
    bits: int,
    plan: CandidatePlan,
    evidence: Evidence,
    report: Report | None = None,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Exact copies plus verified same-photo / edited-copy groups; returns them and the
    keeper row of each verified group."""
    report = report if report is not None else Report()
    packed, has = signature_codes([c.signature for c in candidates])
    by_signature = signature_pairs(packed, has, SIGNATURE_CANDIDATE_RADIUS)
    by_code = code_pairs(codes[plan.kind], bits, plan.neighbours, plan.max_radius)
    pairs = unite(by_signature, by_code)
    report.signature_pairs, report.code_pairs = len(by_signature), len(by_code)
    report.candidates = len(pairs)
    distance, variant = pairs.signature_distance.copy(), pairs.variant.copy()
    unknown = distance >= 64
    if unknown.any():
        distance[unknown], variant[unknown] = signature_evidence(
            packed, has, pairs.left[unknown], pairs.right[unknown]
        )
    pictures = [c.picture for c in candidates]
    first = global_verdicts(
        pictures, pairs.left, pairs.right, distance, variant, evidence.thumbs_of
    )
    tiers, changes = list(first.tiers), list(first.changes)
    report.global_verified = sum(1 for t in tiers if t)
    open_pairs = [
        k
        for k in range(len(pairs))
        if not tiers[k]
        and pairs.source[k] & CODE
        and can_align(pictures[int(pairs.left[k])])
        and can_align(pictures[int(pairs.right[k])])
    ]
    report.geometric_checked = len(open_pairs)
    second = geometric_verdicts(
        pictures,
        [(int(pairs.left[k]), int(pairs.right[k])) for k in open_pairs],
        evidence.load_grey,
        lambda i, j: evidence.cached(candidates[i].hash, candidates[j].hash),
        lambda i, j, v: evidence.remember(candidates[i].hash, candidates[j].hash, v),
    )
    for k, verdict in zip(open_pairs, second, strict=True):
        tiers[k], changes[k] = verdict.tier, verdict.change
    report.geometric_verified = sum(1 for v in second if v.tier)
    verified = np.flatnonzero([bool(t) for t in tiers])
    code_distance = row_distances(
        codes["semantic"], pairs.left[verified], pairs.right[verified]
    ).tolist()
    links = [
        Link(int(pairs.left[k]), int(pairs.right[k]), d, tiers[k], changes[k])
        for k, d in zip(verified.tolist(), code_distance, strict=True)
    ]
    groups, keepers = groups_from_links(candidates, links)
    grouped = {m.path for g in groups for m in g.members}
    exact = [g for g in exact_groups(candidates) if g.keeper not in grouped]
    report.groups = len(exact) + len(groups)
    return exact + groups, keepers


def similar_groups(
    candidates: Sequence[Candidate],
    semantic: np.ndarray,
    bits: int,
    radius: int,
    duplicates: Sequence[DuplicateGroup],
    keepers: Sequence[int],
) -> list[DuplicateGroup]:
    """Similar shots among one representative per duplicate group plus the loners."""
    grouped = {m.path for g in duplicates for m in g.members}
    representatives = set(keepers)
    chosen = [
        i
        for i, c in enumerate(candidates)
        if i in representatives or not any(p in grouped for p in c.paths)
    ]
    groups, _ = code_groups(
        [candidates[i] for i in chosen], semantic[chosen], bits, radius, all_similar
    )
    return [g for g in groups if g.tier == TIER_SIMILAR_SHOT]


def without_dismissed(
    groups: Sequence[DuplicateGroup],
    candidates: Sequence[Candidate],
    dismissed: Sequence[frozenset[str]],
) -> list[DuplicateGroup]:
    """Groups the user marked "not a duplicate" stay hidden while they hold nothing new."""
    if not dismissed:
        return list(groups)
    content_of = {p: c.hash for c in candidates for p in c.paths}
    return [
        g
        for g in groups
        if not any({content_of[m.path] for m in g.members} <= mark for mark in dismissed)
    ]
