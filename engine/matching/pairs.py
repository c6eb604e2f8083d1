"""RAW + JPEG pairs: one shot in two formats, found inside verified duplicate groups.

Cameras set to "RAW + JPEG" write both files of every shot. They are the same picture, so the
duplicate finder groups them; but the person chose to have both, so neither is proposed for
removal unless the library setting ``raw_jpeg_removable`` says the JPEG may go (issue 12).
A RAW and a JPEG (or HEIC) of one group are a pair when they share their folder and base
name, or their camera and capture time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace

from twinlens.engine.media.compression import RAW
from twinlens.engine.tiers import is_duplicate

from .content import Candidate
from .groups import DuplicateGroup, Member

RAW_KEPT = "the RAW file of a RAW + JPEG pair (one shot in two formats)"
JPEG_KEPT = (
    "the JPEG of a RAW + JPEG pair (one shot in two formats); the setting"
    " 'RAW + JPEG pairs: the JPEG may be removed' decides"
)
_DEVELOPED = ("JPEG", "MPO", "HEIF", "HEIC")


def mark_pairs(
    groups: Sequence[DuplicateGroup],
    content_of: Mapping[str, Candidate],
    jpeg_removable: bool = False,
) -> list[DuplicateGroup]:
    """The groups with each RAW + JPEG pair's members marked (``Member.pair``, ``kept``)."""
    return [_marked(g, content_of, jpeg_removable) for g in groups]


def _marked(
    group: DuplicateGroup, content_of: Mapping[str, Candidate], jpeg_removable: bool
) -> DuplicateGroup:
    if not is_duplicate(group.tier):
        return group
    raws = [m.path for m in group.members if content_of[m.path].compression == RAW]
    if not raws:
        return group
    developed = [m.path for m in group.members if content_of[m.path].format in _DEVELOPED]
    halves: dict[str, str] = {}
    for raw in raws:
        for other in developed:
            if _same_shot(raw, other, content_of[raw], content_of[other]):
                halves[raw], halves[other] = "raw", "jpeg"
    if not halves:
        return group
    members = tuple(_member(m, halves.get(m.path, ""), jpeg_removable) for m in group.members)
    return replace(group, members=members)


def _member(member: Member, half: str, jpeg_removable: bool) -> Member:
    if not half:
        return member
    kept = member.kept
    if not kept and (half == "raw" or not jpeg_removable):
        kept = RAW_KEPT if half == "raw" else JPEG_KEPT
    return replace(member, pair=half, kept=kept)


def _same_shot(raw: str, other: str, a: Candidate, b: Candidate) -> bool:
    same_name = os.path.dirname(raw) == os.path.dirname(other) and _base(raw) == _base(other)
    same_moment = bool(a.camera and a.taken_at) and (a.camera, a.taken_at) == (
        b.camera,
        b.taken_at,
    )
    return same_name or same_moment


def _base(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0].lower()
