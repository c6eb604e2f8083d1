"""Search by example: "is this photo already in my library?" plus a ranked, collapsed list.

The answer is the tier of the closest library photo (exact file, same photo, edited copy,
similar shot, or nothing alike), decided by the same verification ladder as duplicate groups
(verify.py), so the CLI, the app and ``dupes`` never disagree. Results are contents, not
files: byte copies are one result, and contents that are the same photo as a better-ranked
result are folded into it, so a photo kept five times fills one cell, not five.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from twinlens.engine.model.encoder import DUPLICATE, SEMANTIC
from twinlens.engine.tiers import TIER_EXACT, TIER_SAME_PHOTO, TIER_SIMILAR_SHOT, rank

from .candidates import signature_codes, signature_evidence
from .collection import Collection
from .content import Candidate
from .duplicates import Evidence
from .evidence import grey_of_image
from .verify import (
    SIGNATURE_CANDIDATE_RADIUS,
    GreyLoader,
    Picture,
    Verdict,
    can_align,
    confirmed,
    geometric_verdicts,
    global_verdicts,
)

NO_MATCH = ""
"""The answer's tier when nothing in the library is even a similar shot."""
GEOMETRY_CHECKED = 8
"""The nearest results that failed the global check get the geometric one (a cropped query)."""
DUPLICATE_NEIGHBOURS = 8
"""Besides the semantic neighbours: the query's nearest by the duplicate code (when the model
has one) and by its pixel signature in any mirror or quarter turn, so an edited copy is
found however far its semantic code drifted."""


@dataclass(frozen=True)
class Query:
    """What is searched for: its codes and stored-style facts, and what it is."""

    label: str
    """The file searched for, or a description of the image data."""
    code: np.ndarray
    signature: bytes | None
    thumb: bytes | None
    picture: Picture
    content: str | None = None
    """Hash of the query's bytes, when it has bytes: finds exact copies whatever the codes."""
    path: str | None = None
    """The query's own place on disk, when it is a file: never a result of itself."""
    grey: np.ndarray | None = None
    """The query decoded in grey (for the geometric check), when it could be."""
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    """Every code of the query by kind (the semantic one is ``code``)."""


@dataclass(frozen=True)
class ResultGroup:
    """One ranked result: the closest file, and near-identical copies collapsed under it."""

    path: str
    distance: int
    tier: str
    copies: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchAnswer:
    query: str
    """The file searched for, or a description of the image data."""
    in_library: str
    """Tier of the closest library photo (``exact`` ... ``similar_shot``), or NO_MATCH."""
    closest: str | None
    results: list[ResultGroup] = field(default_factory=list)


@dataclass(frozen=True)
class _Found:
    row: int
    distance: int
    paths: tuple[str, ...]


def search(
    collection: Collection,
    query: Query,
    radii: dict[str, int],
    top: int,
    evidence: Evidence,
) -> SearchAnswer:
    """The ``top`` nearest contents to ``query``, verified, collapsed, with the verdict."""
    if not len(collection):
        return SearchAnswer(query.label, NO_MATCH, None, [])
    rows, distances = collection.index(SEMANTIC).top_k(query.code, top + 1)
    rows, distances = _with_duplicate_candidates(collection, query, rows, distances)
    rows, distances = _with_exact_copy(collection, query, rows, distances)
    found = [
        _Found(int(row), int(dist), _paths(collection, int(row), query))
        for row, dist in zip(rows.tolist(), distances.tolist(), strict=True)
    ]
    found = [f for f in found if f.paths][: top + 2 * DUPLICATE_NEIGHBOURS]
    tiers = _tiers(collection, query, found, radii, evidence)
    results = _collapse(collection, found, tiers, evidence)
    # Copies of the query first (whatever their code distance), then the rest; nearest first.
    results.sort(key=lambda r: (r.tier in (NO_MATCH, TIER_SIMILAR_SHOT), r.distance))
    results = results[:top]
    if _own_content(collection, query):
        return SearchAnswer(query.label, TIER_EXACT, query.path, results)
    best = min(results, key=lambda r: (rank(r.tier), r.distance), default=None)
    if best is None or not best.tier:
        return SearchAnswer(query.label, NO_MATCH, None, results)
    return SearchAnswer(query.label, best.tier, best.path, results)


def _with_duplicate_candidates(
    collection: Collection, query: Query, rows: np.ndarray, distances: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Add the duplicate code's and the signature's nearest contents after the semantic ones
    (their semantic distance kept, for the similar-shot tier and the ranking)."""
    extra: list[np.ndarray] = []
    if DUPLICATE in collection.codes and DUPLICATE in query.codes:
        near, _ = collection.index(DUPLICATE).top_k(query.codes[DUPLICATE], DUPLICATE_NEIGHBOURS)
        extra.append(near)
    if query.signature is not None:
        extra.append(_signature_neighbours(collection, query.signature))
    if not extra:
        return rows, distances
    more = np.setdiff1d(np.concatenate(extra), rows)
    if not len(more):
        return rows, distances
    codes = collection.codes[SEMANTIC][more]  # only these rows: not a second full scan
    query_words = np.asarray(query.code, dtype=np.uint64).reshape(1, -1)
    semantic = np.bitwise_count(codes ^ query_words).sum(axis=1).astype(distances.dtype)
    return np.concatenate([rows, more]), np.concatenate([distances, semantic])


def _signature_neighbours(collection: Collection, signature: bytes) -> np.ndarray:
    """Contents whose signature lies within the candidate radius of the query's, in any of
    its 8 dihedral variants; the nearest ``DUPLICATE_NEIGHBOURS``."""
    rows, library = collection.upright_signatures()
    query, _ = signature_codes([signature])
    if not len(rows):
        return rows
    best = np.bitwise_count(library ^ query[0, 0, 0])
    for variant in range(1, query.shape[1]):
        np.minimum(best, np.bitwise_count(library ^ query[0, variant, 0]), out=best)
    close = np.flatnonzero(best <= SIGNATURE_CANDIDATE_RADIUS)
    nearest = close[np.argsort(best[close], kind="stable")[:DUPLICATE_NEIGHBOURS]]
    return rows[nearest]


def _with_exact_copy(
    collection: Collection, query: Query, rows: np.ndarray, distances: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Put the content with the query's very bytes first, wherever its code landed."""
    exact = collection.row_of(query.content) if query.content else None
    if exact is None:
        return rows, distances
    keep = rows != exact
    return np.concatenate([[exact], rows[keep]]), np.concatenate([[0], distances[keep]])


def _paths(collection: Collection, row: int, query: Query) -> tuple[str, ...]:
    return tuple(p for p in collection.candidates[row].paths if p != query.path)


def _own_content(collection: Collection, query: Query) -> bool:
    """Whether the query is itself an indexed file of the library."""
    if query.path is None or query.content is None:
        return False
    row = collection.row_of(query.content)
    return row is not None and query.path in collection.candidates[row].paths


def _tiers(
    collection: Collection,
    query: Query,
    found: list[_Found],
    radii: dict[str, int],
    evidence: Evidence,
) -> list[str]:
    """Each result's tier against the query, by the verification ladder."""
    if not found:
        return []
    candidates = [collection.candidates[f.row] for f in found]
    pictures = [query.picture, *(c.picture for c in candidates)]
    packed, has = signature_codes([query.signature, *(c.signature for c in candidates)])
    left = np.zeros(len(found), dtype=np.int64)
    right = np.arange(1, len(found) + 1)
    distance, variant = signature_evidence(packed, has, left, right)

    def thumbs_of(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stored, stored_has = evidence.thumbs_of(np.array([found[r - 1].row for r in rows if r]))
        out = np.zeros((len(rows), *stored.shape[1:]), dtype=np.uint8)
        present = np.zeros(len(rows), dtype=bool)
        library_rows = [i for i, r in enumerate(rows.tolist()) if r]
        out[library_rows], present[library_rows] = stored, stored_has
        own = [i for i, r in enumerate(rows.tolist()) if not r]
        if own and query.thumb is not None:
            out[own[0]] = np.frombuffer(query.thumb, np.uint8).reshape(out.shape[1:])
            present[own[0]] = True
        return out, present

    thumb = global_verdicts(pictures, left, right, distance, variant, thumbs_of)
    load = _loader(query, evidence)
    tiers = [
        TIER_EXACT
        if c.hash == query.content
        else (confirmed(query.picture, c.picture, Verdict(t, change), load)[0].tier if t else "")
        for c, t, change in zip(candidates, thumb.tiers, thumb.changes, strict=True)
    ]
    tiers = _geometry(query, candidates, found, tiers, evidence)
    return [
        t or (TIER_SIMILAR_SHOT if f.distance <= radii[TIER_SIMILAR_SHOT] else NO_MATCH)
        for f, t in zip(found, tiers, strict=True)
    ]


def _geometry(
    query: Query,
    candidates: list[Candidate],
    found: list[_Found],
    tiers: list[str],
    evidence: Evidence,
) -> list[str]:
    """The geometric check for the nearest results the global one left open."""
    if query.grey is None or not can_align(query.picture):
        return tiers
    open_rows = [
        i
        for i, t in enumerate(tiers[:GEOMETRY_CHECKED])
        if not t and can_align(candidates[i].picture)
    ]
    pictures = [query.picture, *(candidates[i].picture for i in open_rows)]
    load = _loader(query, evidence)
    verdicts = geometric_verdicts(
        pictures,
        [(0, k + 1) for k in range(len(open_rows))],
        load,
        lambda i, j: None,
        lambda i, j, v: None,
    )
    out = list(tiers)
    for row, verdict in zip(open_rows, verdicts, strict=True):
        out[row] = verdict.tier if verdict is not None else ""
    return out


def _loader(query: Query, evidence: Evidence) -> GreyLoader:
    """Decodes for the ladder: the query's own grey picture, the library's from disk."""

    def load(picture: Picture, side: int) -> np.ndarray | None:
        if picture is not query.picture:
            return evidence.load_grey(picture, side)
        if query.grey is None:
            return None
        return grey_of_image(Image.fromarray(query.grey), side)

    return load


def _collapse(
    collection: Collection, found: list[_Found], tiers: list[str], evidence: Evidence
) -> list[ResultGroup]:
    """Fold each result into the first earlier one it is the same photo as (by the ladder)."""
    if not found:
        return []
    candidates = [collection.candidates[f.row] for f in found]
    packed, has = signature_codes([c.signature for c in candidates])
    n = len(found)
    left, right = np.triu_indices(n, k=1)
    distance, variant = signature_evidence(packed, has, left, right)
    rows = np.array([f.row for f in found])

    def thumbs_of(index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return evidence.thumbs_of(rows[index])

    verdicts = global_verdicts(
        [c.picture for c in candidates], left, right, distance, variant, thumbs_of
    )
    same = {
        (int(a), int(b))
        for a, b, t in zip(left.tolist(), right.tolist(), verdicts.tiers, strict=True)
        if t == TIER_SAME_PHOTO
    }
    heads: list[int] = []
    folded: dict[int, list[str]] = {}
    for i, item in enumerate(found):
        head = next((h for h in heads if (h, i) in same), None)
        if head is None:
            heads.append(i)
            folded[i] = list(item.paths[1:])
        else:
            folded[head] += item.paths
    return [
        ResultGroup(found[h].paths[0], found[h].distance, tiers[h], tuple(folded[h])) for h in heads
    ]
