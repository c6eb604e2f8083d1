"""Which copy of a group to suggest keeping, and why, in words.

Preference: most pixels, then camera metadata, then the oldest file, then the name. Of
byte-identical copies, the oldest file, then the shortest path.
"""

from __future__ import annotations

from .content import Candidate


def rank_key(candidate: Candidate) -> tuple[int, int, int, str]:
    """Sort key: the copy to keep first."""
    return (
        -candidate.pixels,
        0 if candidate.has_camera_metadata else 1,
        min(candidate.mtimes),
        min(candidate.paths),
    )


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


def keeper_copy(candidate: Candidate) -> str:
    """Of byte-identical copies, the oldest file, then the shortest and first path."""
    ranked = sorted(
        zip(candidate.mtimes, candidate.paths, strict=True), key=lambda t: (t[0], len(t[1]), t[1])
    )
    return ranked[0][1]
