"""The rules that turn measured distances into radii: written once, used everywhere."""

from __future__ import annotations

from collections.abc import Callable

DUP_PRECISION = 0.99
"""A duplicate radius must keep at least this pair precision."""
SIMILAR_PRECISION = 0.9
"""The similar-shot radius must keep this "similar or duplicate" precision..."""
SIMILAR_MAX_UNRELATED = 0.001
"""...and let in at most this share of unrelated pairs."""


def last_passing(start: int, stop: int, ok: Callable[[int], bool]) -> int:
    """The largest r in [start, stop] such that ok holds for every radius from start to r."""
    r = start
    while r < stop and ok(r + 1):
        r += 1
    return r
