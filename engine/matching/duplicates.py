"""Finding every duplicate group of a library: candidates, the verification ladder, groups.

Candidates come from the pixel-structure signature (all 8 dihedral variants) and from a
learned code's nearest neighbours (candidates.py); each pair climbs the verification ladder
(verify.py), cheapest step first; verified pairs become keeper-centred groups (groups.py).
Similar shots are built apart, by the semantic code, over what is not a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    SIGNATURE_SEARCH_RADIUS,
    GreyLoader,
    Picture,
    Recent,
    ThumbSource,
    Verdict,
    can_align,
    confirmed,
    geometric_verdicts,
    global_verdicts,
)


@dataclass(frozen=True)
class CandidatePlan:
    """One learned code that proposes candidates: each content's nearest, within a radius."""

    kind: str
    """The code kind searched ("duplicate", "semantic")."""
    neighbours: int
    max_radius: int
    bits: int = 64


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
    split_members: int = 0
    """Members that joined through other copies, failed against the keeper and left."""
    groups: int = 0
    sources: dict[str, int] = field(default_factory=dict)


def find_duplicates(
    candidates: Sequence[Candidate],
    codes: dict[str, np.ndarray],
    plans: Sequence[CandidatePlan],
    evidence: Evidence,
    report: Report | None = None,
    rule: KeeperRule = DEFAULT_RULE,
    by_signature: CandidatePairs | None = None,
    signatures: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Exact copies plus verified same-photo / edited-copy groups; returns them and the
    keeper row of each verified group (chosen by ``rule``: keeper.py). Each of ``plans``
    is one learned-code candidate source, united with the signature sources;
    ``by_signature`` gives the signature pairs when they are known already (a library keeps
    them: kept_pairs.py), else they are searched here; ``signatures`` likewise gives the
    candidates' packed variant signatures (``signature_codes``) when a collection holds them."""
    report = report if report is not None else Report()
    if signatures is None:
        signatures = signature_codes([c.signature for c in candidates])
    packed, has = signatures
    if by_signature is None:
        by_signature = signature_pairs(packed, has, SIGNATURE_SEARCH_RADIUS)
    by_codes = [
        code_pairs(codes[plan.kind], plan.bits, plan.neighbours, plan.max_radius) for plan in plans
    ]
    by_frame = trimmed_pairs(
        [c.trim_signature for c in candidates], packed, has, SIGNATURE_CANDIDATE_RADIUS
    )
    pairs = unite(by_signature, *by_codes, by_frame)
    report.signature_pairs = len(by_signature)
    report.code_pairs = sum(len(found) for found in by_codes)
    report.candidates = len(pairs)
    distance, variant = pairs.signature_distance.copy(), pairs.variant.copy()
    unknown = distance >= 64
    if unknown.any():
        distance[unknown], variant[unknown] = signature_evidence(
            packed, has, pairs.left[unknown], pairs.right[unknown]
        )
    pictures = [c.picture for c in candidates]
    code_distance = row_distances(codes["semantic"], pairs.left, pairs.right)
    verdicts, extra = _ladder(
        candidates, pictures, pairs, distance, variant, code_distance, evidence, report
    )
    links = [
        Link(int(pairs.left[k]), int(pairs.right[k]), int(code_distance[k]), v.tier, v.change)
        for k, v in enumerate(verdicts)
        if v is not None and v.tier
    ]
    links += _links(extra, codes["semantic"])
    siblings = [
        (int(pairs.left[k]), int(pairs.right[k]))
        for k, v in enumerate(verdicts)
        if v is not None and not v.tier and v.change.sibling
    ]
    links += _sibling_links(candidates, pictures, links, siblings, evidence, codes["semantic"])
    groups, keepers = _verified_against_keepers(
        candidates, pictures, links, evidence, codes["semantic"], rule, report
    )
    grouped = {m.path for g in groups for m in g.members}
    exact = [g for g in exact_groups(candidates, rule) if g.keeper not in grouped]
    report.groups = len(exact) + len(groups)
    return exact + groups, keepers


KEEPER_ROUNDS = 3
"""How often a group is split and the members of its parts checked against their own keeper."""


def _verified_against_keepers(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    links: list[Link],
    evidence: Evidence,
    semantic: np.ndarray,
    rule: KeeperRule,
    report: Report,
) -> tuple[list[DuplicateGroup], list[int]]:
    """Groups in which every member is a verified copy of the keeper itself.

    A chain of verified pairs is not enough: two shots of one flat picture can each verify
    against an edit of the other, and "keep this one, remove the rest" must never remove a
    photo that is not a copy of the one kept. So each member that joined through other
    copies is checked against the keeper (and, failing that, against the group's fullest
    picture: the keeper may be a letterboxed canvas, or a crop that another member goes
    beyond); one that fails both leaves the group (its links into
    the group are cut) and the members that left form groups of their own, checked the same
    way (``_strays`` says who leaves)."""
    links = list(links)
    row_of = {p: i for i, c in enumerate(candidates) for p in c.paths}

    def checkable(i: int, j: int) -> bool:
        return can_align(pictures[i]) and can_align(pictures[j])

    for _ in range(KEEPER_ROUNDS):
        groups, keepers = groups_from_links(candidates, links, rule=rule)
        verified, failed = _keeper_links(candidates, pictures, groups, keepers, evidence)
        links += _links(verified, semantic)
        kept = set(keepers)
        failing = {row for pair in failed for row in pair if row not in kept}
        rescued, failing = _against_fullest(candidates, pictures, groups, row_of, failing, evidence)
        links += _links(rescued, semantic)
        strays = _strays(groups, keepers, row_of, links, failing, checkable)
        closer, found = _closer_to_strays(
            candidates, pictures, groups, keepers, row_of, links, strays & failing, evidence
        )
        strays |= closer
        links += _links(found, semantic)
        if not strays:
            if verified:  # members named from their own link to the keeper
                return groups_from_links(candidates, links, rule=rule)
            return groups, keepers
        report.split_members += len(strays)
        group_of = {
            row_of[m.path]: keeper
            for group, keeper in zip(groups, keepers, strict=True)
            for m in group.members
        }
        links = [link for link in links if not _leaves(link, strays, group_of)]
    return groups_from_links(candidates, links, rule=rule)


def _closer_to_strays(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    groups: list[DuplicateGroup],
    keepers: list[int],
    row_of: dict[str, int],
    links: list[Link],
    leaving: set[int],
    evidence: Evidence,
) -> tuple[set[int], list[tuple[int, int, Verdict]]]:
    """Members that agree more closely with a photo leaving their group than with its
    keeper, and go with it; and the verified pairs measured to decide.

    A crop of one shot of a flat picture can verify against another shot too (it lies
    inside both frames); when the two shots part, the crop follows the one it matches
    pixel for pixel (``Change.fit``), not the one it merely resembles. Only members
    matched geometrically to the keeper or the group's fullest picture are weighed (a
    same-framing match is a copy), and only against a photo that left as the keeper's
    sibling (two views, each with content the other lacks): a photo that failed for want of
    keypoints or overlap says nothing about which of the two a member belongs with."""
    geometric: dict[tuple[int, int], float] = {}
    for link in links:
        if link.change is not None and not link.change.framing_kept:
            geometric[link.left, link.right] = link.change.fit
    own: dict[int, float] = {}  # each weighed member's fit to its keeper or fullest picture
    wanted: list[tuple[int, int]] = []
    for group, keeper in zip(groups, keepers, strict=True):
        rows = {row_of[m.path] for m in group.members}
        leaders = _siblings_of(candidates, pictures, keeper, sorted(rows & leaving), evidence)
        if not leaders:
            continue
        fullest = _fullest(candidates, sorted(rows))
        for row in sorted(rows - leaving - {keeper, fullest}):
            fits = [
                geometric[pair]
                for anchor in (keeper, fullest)
                if (pair := (min(row, anchor), max(row, anchor))) in geometric
            ]
            if fits:
                own[row] = max(fits)
                wanted += [(min(row, leader), max(row, leader)) for leader in leaders]
    wanted = [(i, j) for i, j in wanted if can_align(pictures[i]) and can_align(pictures[j])]
    found = _checked(candidates, pictures, wanted, evidence)
    closer: set[int] = set()
    verified: list[tuple[int, int, Verdict]] = []
    for (i, j), verdict in zip(wanted, found, strict=True):
        if verdict is None or not verdict.tier:
            continue
        verified.append((i, j, verdict))
        member = j if i in leaving else i
        if verdict.change.fit > own[member]:
            closer.add(member)
    return closer, verified


def _siblings_of(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    keeper: int,
    rows: list[int],
    evidence: Evidence,
) -> list[int]:
    """Those of ``rows`` whose verdict against ``keeper`` (cached: just computed) says they
    are two views of one thing, each with content the other lacks."""
    pairs = [(min(keeper, r), max(keeper, r)) for r in rows]
    found = _checked(candidates, pictures, pairs, evidence)
    return [r for r, v in zip(rows, found, strict=True) if v is not None and v.change.sibling]


def _against_fullest(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    groups: list[DuplicateGroup],
    row_of: dict[str, int],
    failing: set[int],
    evidence: Evidence,
) -> tuple[list[tuple[int, int, Verdict]], set[int]]:
    """Members that failed against the keeper, checked against the fullest picture of their
    group too (the keeper may be a letterboxed canvas or a crop another member goes beyond):
    the pairs that verified, and the members that still fail."""
    wanted: list[tuple[int, int]] = []
    member_of: dict[tuple[int, int], int] = {}
    for group in groups:
        rows = [row_of[m.path] for m in group.members]
        if not failing.intersection(rows):
            continue
        fullest = _fullest(candidates, rows)
        for row in failing.intersection(rows):
            if row != fullest and can_align(pictures[row]) and can_align(pictures[fullest]):
                pair = (min(row, fullest), max(row, fullest))
                wanted.append(pair)
                member_of[pair] = row
    found = _checked(candidates, pictures, wanted, evidence)
    rescued = [(i, j, v) for (i, j), v in zip(wanted, found, strict=True) if v and v.tier]
    still = set(failing) - {member_of[i, j] for i, j, _ in rescued}
    still -= {member_of[pair] for pair, v in zip(wanted, found, strict=True) if v is None}
    return rescued, still


def _sibling_links(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    links: list[Link],
    siblings: list[tuple[int, int]],
    evidence: Evidence,
    semantic: np.ndarray,
) -> list[Link]:
    """Two parts of one picture (two crops of one photo) are no copy of each other, but each
    may be a copy of what the other's group holds: each is compared with the keeper and the
    fullest picture of the other's group (one candidate pair often joins a crop only to
    another crop, not to its original). Returns the links that verified."""
    if not siblings:
        return []
    groups, keepers = groups_from_links(candidates, links)
    row_of = {p: i for i, c in enumerate(candidates) for p in c.paths}
    group_of: dict[int, int] = {}
    targets: list[set[int]] = []
    for index, (group, keeper) in enumerate(zip(groups, keepers, strict=True)):
        rows = [row_of[m.path] for m in group.members]
        targets.append({keeper, _fullest(candidates, rows)})
        group_of.update(dict.fromkeys(rows, index))
    wanted: set[tuple[int, int]] = set()
    for i, j in siblings:
        for row, other in ((i, j), (j, i)):
            if other not in group_of or group_of.get(row) == group_of[other]:
                continue
            for target in targets[group_of[other]] - {row}:
                wanted.add((min(row, target), max(row, target)))
    wanted_pairs = [
        (i, j) for i, j in sorted(wanted) if can_align(pictures[i]) and can_align(pictures[j])
    ]
    found = _checked(candidates, pictures, wanted_pairs, evidence)
    verified = [(i, j, v) for (i, j), v in zip(wanted_pairs, found, strict=True) if v and v.tier]
    return _links(verified, semantic)


def _strays(
    groups: list[DuplicateGroup],
    keepers: list[int],
    row_of: dict[str, int],
    links: list[Link],
    failing: set[int],
    checkable: Callable[[int, int], bool],
) -> set[int]:
    """Members of groups that hold a member which failed against the keeper: the failed
    ones, and members too small to check, unless a chain of global verdicts (same framing:
    a resize, recompression, colour change, mirror or turn, each a copy of the other) ties
    them to the keeper or to a member that stays. Members whose check could not run now (a
    file that cannot be read) stay."""
    same_framing: dict[int, list[int]] = {}
    for link in links:
        if link.change is None or link.change.framing_kept:
            same_framing.setdefault(link.left, []).append(link.right)
            same_framing.setdefault(link.right, []).append(link.left)
    direct = {(link.left, link.right) for link in links}
    strays: set[int] = set()
    for group, keeper in zip(groups, keepers, strict=True):
        rows = {row_of[m.path] for m in group.members} - {keeper}
        if not rows & failing:
            continue
        unchecked = {
            row
            for row in rows - failing
            if (min(row, keeper), max(row, keeper)) not in direct and not checkable(row, keeper)
        }
        doubtful = (rows & failing) | unchecked
        stays = [keeper, *(rows - doubtful)]
        reached = set(stays)
        while stays:
            for other in same_framing.get(stays.pop(), ()):
                if other in doubtful and other not in reached:
                    reached.add(other)
                    stays.append(other)
        strays |= doubtful - reached
    return strays


def _leaves(link: Link, strays: set[int], group_of: dict[int, int]) -> bool:
    """Whether ``link`` ties a member that failed its keeper to one that stays."""
    a, b = link.left, link.right
    if (a in strays) == (b in strays):
        return False
    return group_of.get(a) == group_of.get(b)


def _keeper_links(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    groups: list[DuplicateGroup],
    keepers: list[int],
    evidence: Evidence,
) -> tuple[list[tuple[int, int, Verdict]], list[tuple[int, int]]]:
    """Compare each member that joined its group through other copies with the keeper
    itself (one check per such member): the verified pairs, whose edit can then be named
    against the keeper, and the pairs that failed (a file that cannot be read now fails
    neither: it keeps its place until it can be checked)."""
    row_of = {p: i for i, c in enumerate(candidates) for p in c.paths}
    wanted: list[tuple[int, int]] = []
    for group, keeper in zip(groups, keepers, strict=True):
        for member in group.members[1:]:
            row = row_of[member.path]
            if not member.edit and row != keeper:
                wanted.append((min(keeper, row), max(keeper, row)))
    wanted = [(i, j) for i, j in wanted if can_align(pictures[i]) and can_align(pictures[j])]
    found = _checked(candidates, pictures, wanted, evidence)
    verified = [(i, j, v) for (i, j), v in zip(wanted, found, strict=True) if v and v.tier]
    failed = [pair for pair, v in zip(wanted, found, strict=True) if v is not None and not v.tier]
    return verified, failed


def _checked(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    wanted: list[tuple[int, int]],
    evidence: Evidence,
) -> list[Verdict | None]:
    """The geometric verdicts of pairs beyond the candidate list, through the cache."""
    return geometric_verdicts(
        pictures,
        wanted,
        lambda picture, side: evidence.load_grey(picture, side),
        lambda i, j: evidence.cached(candidates[i].hash, candidates[j].hash),
        lambda i, j, v: evidence.remember(candidates[i].hash, candidates[j].hash, v),
    )


def _links(verified: list[tuple[int, int, Verdict]], semantic: np.ndarray) -> list[Link]:
    """Links for verified pairs found beyond the candidate list, with their code distance."""
    if not verified:
        return []
    left = np.array([i for i, _, _ in verified])
    right = np.array([j for _, j, _ in verified])
    distance = row_distances(semantic, left, right).tolist()
    return [
        Link(i, j, d, v.tier, v.change) for (i, j, v), d in zip(verified, distance, strict=True)
    ]


def _ladder(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    pairs: CandidatePairs,
    distance: np.ndarray,
    variant: np.ndarray,
    priority: np.ndarray,
    evidence: Evidence,
    report: Report,
) -> tuple[list[Verdict | None], list[tuple[int, int, Verdict]]]:
    """Each pair's verdict: from the cache, else thumbnails, then 256 px, then geometry;
    None for a pair left unchecked because other verified pairs already join its photos.
    Also the verified pairs the geometric step found beyond the candidates (a photo and the
    fullest picture of a group)."""
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
    by_picture = {id(p): p for p in pictures}
    greys: Recent[tuple[int, int], np.ndarray | None] = Recent(
        lambda key: evidence.load_grey(by_picture[key[0]], key[1])
    )

    def grey(picture: Picture, side: int) -> np.ndarray | None:
        return greys((id(picture), side))

    groups = _Components(len(candidates))
    geometry: list[int] = []
    for k, tier, change in zip(todo.tolist(), thumb.tiers, thumb.changes, strict=True):
        i, j = left[k], right[k]
        verdict, final = NOT_A_DUPLICATE, True
        if tier:
            verdict, final = confirmed(pictures[i], pictures[j], Verdict(tier, change), grey)
            report.global_verified += bool(verdict.tier)
        alignable = can_align(pictures[i]) and can_align(pictures[j])
        if not verdict.tier and pairs.source[k] & (CODE | TRIMMED) and alignable:
            geometry.append(k)
            continue
        if tier and final:  # a decode was needed to say no (or yes): never again
            evidence.remember(candidates[i].hash, candidates[j].hash, verdict)
        out[k] = verdict
    for k, known in enumerate(out):
        if known is not None and known.tier:
            groups.join(left[k], right[k])
    # Geometry is the costly step: most promising pairs first (nearest codes), and a pair
    # whose photos another chain of verified pairs already joined is not checked at all.
    # A code neighbour is also compared with the fullest picture of the other's group (most
    # pixels: the original, usually), since a crop is checked best against the whole photo.
    queue = _with_representatives(candidates, pictures, left, right, geometry, priority, groups)

    def cached(i: int, j: int) -> Verdict | None:  # a verdict of an earlier run
        verdict = evidence.cached(candidates[i].hash, candidates[j].hash)
        if verdict is not None and verdict.tier:
            groups.join(i, j)
        return verdict

    def remember(i: int, j: int, verdict: Verdict) -> None:  # a newly computed verdict
        evidence.remember(candidates[i].hash, candidates[j].hash, verdict)
        report.geometric_checked += 1
        report.geometric_verified += bool(verdict.tier)
        if verdict.tier:
            groups.join(i, j)

    second = geometric_verdicts(
        pictures,
        queue,
        grey,
        cached,
        remember,
        lambda i, j: groups.find(i) == groups.find(j),
    )
    position = {(left[k], right[k]): k for k in geometry}
    extra: list[tuple[int, int, Verdict]] = []
    for (i, j), geometric in zip(queue, second, strict=True):
        if (i, j) in position:
            out[position[i, j]] = geometric
        elif geometric is not None and geometric.tier:
            extra.append((i, j, geometric))
    return out, extra


def _with_representatives(
    candidates: Sequence[Candidate],
    pictures: list[Picture],
    left: list[int],
    right: list[int],
    geometry: list[int],
    priority: np.ndarray,
    groups: _Components,
) -> list[tuple[int, int]]:
    """The geometric queue: each open pair, preceded by its photos compared with the fullest
    picture of the other's group, nearest codes first."""
    fullest: dict[int, int] = {}
    wanted = {groups.find(row) for k in geometry for row in (left[k], right[k])}
    for row in range(len(candidates)) if wanted else ():  # every member, not only the open ones
        root = groups.find(row)
        if root not in wanted:
            continue
        best = fullest.get(root)
        if best is None or _fullness(candidates[row]) > _fullness(candidates[best]):
            fullest[root] = row
    ranked: list[tuple[int, int, int, int]] = []
    for k in geometry:
        i, j = left[k], right[k]
        for a, b in ((i, fullest[groups.find(j)]), (fullest[groups.find(i)], j)):
            if a != b and (a, b) != (i, j) and can_align(pictures[a]) and can_align(pictures[b]):
                ranked.append((int(priority[k]), 0, min(a, b), max(a, b)))
        ranked.append((int(priority[k]), 1, i, j))
    queue, seen = [], set()
    for _, _, a, b in sorted(ranked):
        if (a, b) not in seen:
            seen.add((a, b))
            queue.append((a, b))
    return queue


def _fullest(candidates: Sequence[Candidate], rows: Iterable[int]) -> int:
    """The row of ``rows`` whose picture holds the most (the first of equals)."""
    return max(dict.fromkeys(rows), key=lambda r: _fullness(candidates[r]))


def _fullness(candidate: Candidate) -> tuple[bool, int]:
    """How much of the picture a copy holds: a frame without bars or a border first (their
    canvas has more pixels but the same picture, smaller), then the most pixels."""
    return candidate.trim_signature is None, candidate.pixels


class _Components:
    """Union-find over content rows: which photos verified pairs already join."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, row: int) -> int:
        parent = self.parent
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


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
