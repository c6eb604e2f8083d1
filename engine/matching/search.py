"""Search by example: "is this photo already in my library?" plus a ranked, collapsed list.

The answer is the tier of the closest library photo (exact file, same photo, edited copy,
similar shot, or nothing alike). Results that are near-identical copies of one another are
collapsed into one entry with its copies, so a photo kept five times fills one cell, not five.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twinlens.engine.library import Match
from twinlens.engine.media.decode import decode_photo
from twinlens.engine.media.files import content_hash
from twinlens.engine.model.codes import from_blobs, words_for
from twinlens.engine.model.meta import (
    TIER_EDITED_COPY,
    TIER_EXACT,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
)

from .groups import classify_pairs, signature_distance

if TYPE_CHECKING:
    from twinlens.engine.library import Library

NO_MATCH = ""
"""The answer's tier when nothing in the library is even a similar shot."""


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


_STRICTNESS = {TIER_EXACT: 0, TIER_SAME_PHOTO: 1, TIER_EDITED_COPY: 2, TIER_SIMILAR_SHOT: 3}


def search_file(library: Library, path: Path | str, top: int = 40) -> SearchAnswer:
    """Search the library with an image file, which may itself be in the library.

    Raises:
        DecodeError: the file cannot be read as a photo.
    """
    path = Path(path).resolve()
    matches = library.similar(path, top)
    facts = library.catalog.photo_facts(str(path))
    if facts is not None and facts.status == "indexed":
        return _answer(library, str(path), matches, TIER_EXACT, str(path))
    exact = library.store.paths_with_hash(content_hash(path))
    return _answer(library, str(path), matches, *_exact_or_nearest(library, exact, matches))


def search_image_data(library: Library, data: bytes, top: int = 40) -> SearchAnswer:
    """Search with image bytes (dropped from a browser, pasted): decoded here, never stored.

    Raises:
        DecodeError: the data is not an image Twinlens can read.
    """
    decoded = decode_photo(
        "pasted image", min_size=library.encoder.meta.preprocess.height, data=data
    )
    matches = library.similar_to_image(decoded.image, top)
    exact = library.store.paths_with_hash(hashlib.blake2b(data, digest_size=16).hexdigest())
    return _answer(library, "pasted image", matches, *_exact_or_nearest(library, exact, matches))


def _exact_or_nearest(
    library: Library, exact: list[str], matches: list[Match]
) -> tuple[str, str | None]:
    if exact:
        return TIER_EXACT, exact[0]
    if not matches:
        return NO_MATCH, None
    best = min(matches, key=lambda m: (_STRICTNESS.get(m.tier, 9), m.distance))
    return best.tier, best.path if best.tier else None


def _answer(
    library: Library, query: str, matches: list[Match], tier: str, closest: str | None
) -> SearchAnswer:
    return SearchAnswer(query, tier, closest, collapse(library, matches))


def collapse(library: Library, matches: list[Match]) -> list[ResultGroup]:
    """Fold each match into the first earlier one it is a verified same-photo copy of."""
    meta = library.encoder.meta
    blobs = library.store.codes_by_path([m.path for m in matches], meta.key)
    known = [m for m in matches if m.path in blobs]
    codes = from_blobs([blobs[m.path] for m in known], words_for(meta.bits))
    signatures = _signatures(library, [m.path for m in known])
    heads: list[int] = []
    copies: dict[int, list[str]] = {}
    for i, match in enumerate(known):
        head = next(
            (h for h in heads if _same_photo(codes, signatures, h, i, meta.tier_radii)), None
        )
        if head is None:
            heads.append(i)
            copies[i] = []
        else:
            copies[head].append(match.path)
    return [
        ResultGroup(known[h].path, known[h].distance, known[h].tier, tuple(copies[h]))
        for h in heads
    ]


def _signatures(library: Library, paths: list[str]) -> list[bytes | None]:
    by_path = library.store.photos_by_path(paths)
    rows = [by_path.get(p) for p in paths]
    facts = library.store.facts({r.hash for r in rows if r is not None and r.hash})
    return [facts[r.hash].signature if r is not None and r.hash in facts else None for r in rows]


def _same_photo(
    codes: np.ndarray, signatures: list[bytes | None], a: int, b: int, radii: dict[str, int]
) -> bool:
    sig = signature_distance([signatures[a]], [signatures[b]])
    tier = classify_pairs(np.array([_distance(codes[a], codes[b])]), sig, radii)[0]
    return tier == TIER_SAME_PHOTO


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.bitwise_count(np.bitwise_xor(a, b)).sum())
