"""Search by example: "is this photo already in my library?" plus a ranked, collapsed list.

The answer is the tier of the closest library photo (exact file, same photo, edited copy,
similar shot, or nothing alike). Results are contents, not files: byte copies are one result,
and contents that are verified same-photo copies of a better-ranked result are folded into it,
so a photo kept five times fills one cell, not five. The CLI and the app give this one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twinlens.engine.model.encoder import SEMANTIC
from twinlens.engine.tiers import TIER_EXACT, TIER_SAME_PHOTO, rank

from .collection import Collection
from .groups import classify_pairs, signature_distance
from .hamming import row_distances

NO_MATCH = ""
"""The answer's tier when nothing in the library is even a similar shot."""


@dataclass(frozen=True)
class Query:
    """What is searched for: its semantic code and pixel signature, and what it is."""

    label: str
    """The file searched for, or a description of the image data."""
    code: np.ndarray
    signature: bytes | None
    content: str | None = None
    """Hash of the query's bytes, when it has bytes: finds exact copies whatever the codes."""
    path: str | None = None
    """The query's own place on disk, when it is a file: never a result of itself."""


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


def search(collection: Collection, query: Query, radii: dict[str, int], top: int) -> SearchAnswer:
    """The ``top`` nearest contents to ``query``, collapsed, with the library's verdict."""
    if not len(collection):
        return SearchAnswer(query.label, NO_MATCH, None, [])
    rows, distances = collection.index(SEMANTIC).top_k(query.code, top + 1)
    rows, distances = _with_exact_copy(collection, query, rows, distances)
    found = [
        (int(row), int(dist), _paths(collection, int(row), query))
        for row, dist in zip(rows.tolist(), distances.tolist(), strict=True)
    ]
    found = [item for item in found if item[2]][:top]
    tiers = _tiers(collection, query, found, radii)
    results = _collapse(collection, found, tiers, radii)
    own = _own_content(collection, query)
    if own:
        return SearchAnswer(query.label, TIER_EXACT, query.path, results)
    best = min(results, key=lambda r: (rank(r.tier), r.distance), default=None)
    if best is None or not best.tier:
        return SearchAnswer(query.label, NO_MATCH, None, results)
    return SearchAnswer(query.label, best.tier, best.path, results)


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
    found: list[tuple[int, int, tuple[str, ...]]],
    radii: dict[str, int],
) -> list[str]:
    stored = [collection.candidates[row].signature for row, _, _ in found]
    signatures = signature_distance([query.signature] * len(found), stored)
    distances = np.array([dist for _, dist, _ in found], dtype=np.int64)
    tiers = classify_pairs(distances, signatures, radii)
    content = query.content
    return [
        TIER_EXACT if content and collection.candidates[row].hash == content else tier
        for (row, _, _), tier in zip(found, tiers, strict=True)
    ]


def _collapse(
    collection: Collection,
    found: list[tuple[int, int, tuple[str, ...]]],
    tiers: list[str],
    radii: dict[str, int],
) -> list[ResultGroup]:
    """Fold each result into the first earlier one it is a verified same-photo copy of."""
    heads: list[int] = []
    folded: dict[int, list[str]] = {}
    codes = collection.codes[SEMANTIC]
    for i, (row, _, paths) in enumerate(found):
        head = next(
            (h for h in heads if _same_photo(collection, codes, found[h][0], row, radii)), None
        )
        if head is None:
            heads.append(i)
            folded[i] = list(paths[1:])
        else:
            folded[head] += paths
    return [ResultGroup(found[h][2][0], found[h][1], tiers[h], tuple(folded[h])) for h in heads]


def _same_photo(
    collection: Collection, codes: np.ndarray, a: int, b: int, radii: dict[str, int]
) -> bool:
    distance = row_distances(codes, np.array([a]), np.array([b]))
    sig = signature_distance(
        [collection.candidates[a].signature], [collection.candidates[b].signature]
    )
    return classify_pairs(distance, sig, radii)[0] == TIER_SAME_PHOTO
