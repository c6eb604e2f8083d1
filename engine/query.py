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

from .catalog import codes_of, paths_with_hash, photo_facts
from .codes import from_blobs, words_for
from .decode import decode_photo
from .files import content_hash
from .library import Match
from .model_meta import TIER_EDITED_COPY, TIER_EXACT, TIER_SAME_PHOTO, TIER_SIMILAR_SHOT

if TYPE_CHECKING:
    from .library import Library

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


def tier_of(distance: int, radii: dict[str, int]) -> str:
    """The strictest named tier a code distance falls in, or NO_MATCH."""
    for tier in (TIER_SAME_PHOTO, TIER_EDITED_COPY, TIER_SIMILAR_SHOT):
        if distance <= radii[tier]:
            return tier
    return NO_MATCH


def search_file(library: Library, path: Path | str, top: int = 40) -> SearchAnswer:
    """Search the library with an image file, which may itself be in the library.

    Raises:
        DecodeError: the file cannot be read as a photo.
    """
    path = Path(path).resolve()
    matches = library.similar(path, top)
    facts = photo_facts(library, str(path))
    if facts is not None and facts.status == "indexed":
        return _answer(library, str(path), matches, TIER_EXACT, str(path))
    exact = paths_with_hash(library, content_hash(path))
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
    exact = paths_with_hash(library, hashlib.blake2b(data, digest_size=16).hexdigest())
    return _answer(library, "pasted image", matches, *_exact_or_nearest(library, exact, matches))


def _exact_or_nearest(
    library: Library, exact: list[str], matches: list[Match]
) -> tuple[str, str | None]:
    if exact:
        return TIER_EXACT, exact[0]
    if not matches:
        return NO_MATCH, None
    best = matches[0]
    tier = tier_of(best.distance, library.encoder.meta.tier_radii)
    return tier, best.path if tier else None


def _answer(
    library: Library, query: str, matches: list[Match], tier: str, closest: str | None
) -> SearchAnswer:
    return SearchAnswer(query, tier, closest, collapse(library, matches))


def collapse(library: Library, matches: list[Match]) -> list[ResultGroup]:
    """Fold each match into the first earlier one it is a same-photo copy of."""
    meta = library.encoder.meta
    blobs = codes_of(library, [m.path for m in matches], meta.key)
    known = [m for m in matches if m.path in blobs]
    codes = from_blobs([blobs[m.path] for m in known], words_for(meta.bits))
    radius = meta.radius(TIER_SAME_PHOTO)
    heads: list[int] = []
    copies: dict[int, list[str]] = {}
    for i, match in enumerate(known):
        head = next((h for h in heads if _distance(codes[h], codes[i]) <= radius), None)
        if head is None:
            heads.append(i)
            copies[i] = []
        else:
            copies[head].append(match.path)
    return [
        ResultGroup(
            known[h].path,
            known[h].distance,
            tier_of(known[h].distance, meta.tier_radii),
            tuple(copies[h]),
        )
        for h in heads
    ]


def _distance(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.bitwise_count(np.bitwise_xor(a, b)).sum())
