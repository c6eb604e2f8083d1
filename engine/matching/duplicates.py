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
    TRIMMED,
    CandidatePairs,
    code_pairs,
    signature_codes,
    signature_evidence,
    signature_pairs,
    trimmed_pairs,
    unite,
)
from .content import Candidate
from .groups import DuplicateGroup, Link, all_similar, code_groups, exact_groups, groups_from_links
from .hamming import row_distances
from .keeper import DEFAULT_RULE, KeeperRule
from .verify import (
    NOT_A_DUPLICATE,
    SIGNATURE_CANDIDATE_RADIUS,
    GreyLoader,
    Picture,
    ThumbSource,
    Verdict,
    can_align,
    confirmed,
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
    rule: KeeperRule = DEFAULT_RULE,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Exact copies plus verified same-photo / edited-copy groups; returns them and the
    keeper row of each verified group (chosen by ``rule``: keeper.py)."""
    report = report if report is not None else Report()
    packed, has = signature_codes([c.signature for c in candidates])
    by_signature = signature_pairs(packed, has, SIGNATURE_CANDIDATE_RADIUS)
    by_code = code_pairs(codes[plan.kind], bits, plan.neighbours, plan.max_radius)
    by_frame = trimmed_pairs(
        [c.trim_signature for c in candidates], packed, has, SIGNATURE_CANDIDATE_RADIUS
    )
    pairs = unite(by_signature, by_code, by_frame)
    report.signature_pairs, report.code_pairs = len(by_signature), len(by_code)
    report.candidates = len(pairs)
    distance, variant = pairs.signature_distance.copy(), pairs.variant.copy()
    unknown = distance >= 64
    if unknown.any():
        distance[unknown], variant[unknown] = signature_evidence(
            packed, has, pairs.left[unknown], pairs.right[unknown]
        )
    pictures = [c.picture for c in candidates]
    verdicts = _ladder(candidates, pictures, pairs, distance, variant, evidence, report)
    tiers = [v.tier for v in verdicts]
    changes = [v.change for v in verdicts]
    verified = np.flatnonzero([bool(t) for t in tiers])
    code_distance = row_distances(
        codes["semantic"], pairs.left[verified], pairs.right[verified]
    ).tolist()
    links = [
        Link(int(pairs.left[k]), int(pairs.right[k]), d, tiers[k], changes[k])
        for k, d in zip(verified.tolist(), code_distance, strict=True)
    ]
    groups, keepers = groups_from_links(candidates, links, rule=rule)
    grouped = {m.path for g in groups for m in g.members}
    exact = [g for g in exact_groups(candidates, rule) if g.keeper not in grouped]
    report.groups = len(exact) + len(groups)
    return exact + groups, keepers


def _ladder(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    pairs: CandidatePairs,
    distance: np.ndarray,
    variant: np.ndarray,
    evidence: Evidence,
    report: Report,
) -> list[Verdict]:
    """Each pair's verdict: from the cache, else thumbnails, then 256 px, then geometry."""
    left, right = pairs.left.tolist(), pairs.right.tolist()
    out: list[Verdict | None] = [
        evidence.cached(candidates[i].hash, candidates[j].hash)
        for i, j in zip(left, right, strict=True)
    ]
    todo = np.array([k for k, v in enumerate(out) if v is None], dtype=np.int64)
    thumb = global_verdicts(
        pictures,
        pairs.left[todo],
        pairs.right[todo],
        distance[todo],
        variant[todo],
        evidence.thumbs_of,
    )
    greys: dict[tuple[int, int], np.ndarray | None] = {}

    def grey(picture: Picture, side: int) -> np.ndarray | None:
        key = (id(picture), side)
        if key not in greys:
            greys[key] = evidence.load_grey(picture, side)
        return greys[key]

    geometry: list[int] = []
    for k, tier, change in zip(todo.tolist(), thumb.tiers, thumb.changes, strict=True):
        i, j = left[k], right[k]
        verdict = NOT_A_DUPLICATE
        if tier:
            verdict = confirmed(pictures[i], pictures[j], Verdict(tier, change), grey)
            report.global_verified += bool(verdict.tier)
        alignable = can_align(pictures[i]) and can_align(pictures[j])
        if not verdict.tier and pairs.source[k] & (CODE | TRIMMED) and alignable:
            geometry.append(k)
            continue
        if tier:  # a decode was needed to say no (or yes): never again
            evidence.remember(candidates[i].hash, candidates[j].hash, verdict)
        out[k] = verdict
    report.geometric_checked = len(geometry)
    second = geometric_verdicts(
        pictures,
        [(left[k], right[k]) for k in geometry],
        grey,
        lambda i, j: None,
        lambda i, j, v: evidence.remember(candidates[i].hash, candidates[j].hash, v),
    )
    for k, verdict in zip(geometry, second, strict=True):
        out[k] = verdict
    report.geometric_verified = sum(1 for v in second if v.tier)
    return [v if v is not None else NOT_A_DUPLICATE for v in out]


def similar_groups(
    candidates: Sequence[Candidate],
    semantic: np.ndarray,
    bits: int,
    radius: int,
    duplicates: Sequence[DuplicateGroup],
    keepers: Sequence[int],
    rule: KeeperRule = DEFAULT_RULE,
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
        [candidates[i] for i in chosen], semantic[chosen], bits, radius, all_similar, rule
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
