"""Which copy of a group to suggest keeping: the one most likely to be the original (issue 12).

Six criteria, in this order unless the person reorders or switches them off
(``twinlens dupes --prefer``, the app's settings; remembered in the library):

1. ``reference``: a photo in a reference folder;
2. ``pixels``: the most pixels;
3. ``quality``: the least lossy: RAW, then a phone's HEIC, then lossless (but a PNG made
   from a JPEG is only a conversion), then JPEG by its quality; at equal pixels a camera
   JPEG beats one saved again. HEIC ranks above lossless because only cameras write it: a
   PNG of the same size is a conversion of it, holding no more than it does;
4. ``metadata``: the original camera metadata (make and model, capture time) over
   stripped metadata;
5. ``name``: a name without a copy marker (names.py), then the shorter path;
6. ``oldest``: the oldest capture time, then the oldest file.

Every file of a group is ranked (byte-identical copies too), the group's keeper is the first,
and its reason names the first criterion on which the keeper beats the runner-up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinlens.engine.media.compression import FROM_JPEG, LOSSLESS, PALETTE, RAW
from twinlens.engine.media.files import is_under
from twinlens.engine.paths import shown

from .content import Candidate
from .names import copy_marker, derived_from, stem

REFERENCE, PIXELS, QUALITY, METADATA, NAME, OLDEST = (
    "reference",
    "pixels",
    "quality",
    "metadata",
    "name",
    "oldest",
)
DEFAULT_ORDER: tuple[str, ...] = (REFERENCE, PIXELS, QUALITY, METADATA, NAME, OLDEST)
CRITERIA_WORDS = {
    REFERENCE: "a photo in a reference folder",
    PIXELS: "most pixels",
    QUALITY: "least lossy (RAW, lossless, then JPEG quality; a conversion loses)",
    METADATA: "original camera metadata (make, model, capture time)",
    NAME: "a name without copy markers, then the shorter path",
    OLDEST: "the oldest capture time, then the oldest file",
}
_CAMERA_FORMATS = ("HEIF", "HEIC")


def parse_order(text: str) -> tuple[str, ...]:
    """``"pixels,quality"`` -> the criteria in that order; the others are switched off.

    ``"default"`` (or an empty string) is the default order.

    Raises:
        ValueError: an unknown or repeated criterion, in words.
    """
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names or names == ["default"]:
        return DEFAULT_ORDER
    unknown = [n for n in names if n not in DEFAULT_ORDER]
    if unknown:
        raise ValueError(
            f"unknown keeper criterion {unknown[0]!r}; choose from {', '.join(DEFAULT_ORDER)}"
            " (or 'default')"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"keeper criterion {repeated[0]!r} is named twice")
    return tuple(names)


@dataclass(frozen=True)
class KeeperRule:
    """The criteria in force, and the folders whose photos are always kept."""

    order: tuple[str, ...] = DEFAULT_ORDER
    references: tuple[Path, ...] = ()

    def is_reference(self, path: str) -> bool:
        return any(is_under(path, folder) for folder in self.references)

    def reference_of(self, path: str) -> Path | None:
        return next((f for f in self.references if is_under(path, f)), None)


DEFAULT_RULE = KeeperRule()


@dataclass(frozen=True)
class FileView:
    """One file of a group, with what the criteria look at."""

    candidate: Candidate
    path: str
    mtime: int
    reference: bool
    marker: str = ""
    """The copy marker of its name ("copy", "(1)"), "" when it has none."""
    extends: str = ""
    """The name of another file of the group that this name adds to ("kodim14" for
    "kodim14_bright"), "" when none."""


Key = tuple[object, ...]


@dataclass
class Ranking:
    """Ranks every file of one group under a rule; built once per group."""

    rule: KeeperRule
    candidates: Sequence[Candidate]
    _views: dict[str, FileView] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        stems = {stem(p) for c in self.candidates for p in c.paths}
        for candidate in self.candidates:
            for path, mtime in zip(candidate.paths, candidate.mtimes, strict=True):
                marker = copy_marker(path)
                extends = "" if marker else derived_from(path, stems - {stem(path)})
                self._views[path] = FileView(
                    candidate, path, mtime, self.rule.is_reference(path), marker, extends
                )

    def file_key(self, path: str) -> Key:
        view = self._views[path]
        parts: list[object] = []
        for name in self.rule.order:
            parts += _CRITERIA[name].key(view)
        return (*parts, path)  # equal by every criterion: by path, for a stable answer

    def best_path(self, candidate: Candidate) -> str:
        """The copy to keep among byte-identical files."""
        return min(candidate.paths, key=self.file_key)

    def key(self, candidate: Candidate) -> Key:
        """A content ranks as its best file."""
        return self.file_key(self.best_path(candidate))

    def ordered_paths(self) -> list[str]:
        return sorted(self._views, key=self.file_key)

    def view(self, path: str) -> FileView:
        return self._views[path]

    def reason(self, keeper: str, runner_up: str) -> str:
        """Why ``keeper`` ranks before ``runner_up``, in words: the deciding criterion."""
        mine, theirs = self._views[keeper], self._views[runner_up]
        for name in self.rule.order:
            criterion = _CRITERIA[name]
            a, b = criterion.key(mine), criterion.key(theirs)
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    return criterion.words(mine, theirs, index, self.rule)
        return "equal by every criterion; first by path"


@dataclass(frozen=True)
class _Criterion:
    key: Callable[[FileView], Key]
    words: Callable[[FileView, FileView, int, KeeperRule], str]


# -- the criteria ------------------------------------------------------------------------


def fidelity(candidate: Candidate) -> int:
    """How little the file's pixels lost, as a number (higher: less lossy)."""
    if candidate.compression == RAW:
        return 300
    if candidate.format.upper() in _CAMERA_FORMATS:
        return 250  # phones write HEIC as the original: a lossless copy is a conversion
    if candidate.compression == LOSSLESS:
        return 200
    if candidate.compression in (FROM_JPEG, PALETTE):
        return 0
    return max(0, min(100, candidate.quality))


def fidelity_words(candidate: Candidate) -> str:
    fmt = candidate.format or "unknown format"
    if candidate.compression == RAW:
        return f"the camera's RAW file ({fmt})"
    if candidate.compression == LOSSLESS:
        return f"lossless {fmt}"
    if candidate.compression == FROM_JPEG:
        return f"a {fmt} converted from a JPEG"
    if candidate.compression == PALETTE:
        return f"a {fmt} of 256 colours or fewer"
    if fmt.upper() in _CAMERA_FORMATS:
        return f"the camera's {fmt}"
    if candidate.quality:
        return f"{fmt} quality {candidate.quality}"
    return f"lossy {fmt} of unknown quality"


def _reference_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    folder = rule.reference_of(mine.path)
    where = f" {shown(folder)}" if folder is not None else ""
    return f"in the reference folder{where}, whose photos are always kept"


def _pixels_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    a, b = mine.candidate, theirs.candidate
    return f"most pixels: {a.width}x{a.height} (the next copy has {b.width}x{b.height})"


def _quality_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    return f"least lossy: {fidelity_words(mine.candidate)} over {fidelity_words(theirs.candidate)}"


def _metadata_count(candidate: Candidate) -> int:
    return bool(candidate.camera) + bool(candidate.taken_at)


def _metadata_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    c = mine.candidate
    facts = ", ".join(
        part for part in (c.camera, f"taken {c.taken_at}" if c.taken_at else "") if part
    )
    lost = "" if _metadata_count(theirs.candidate) else " (the other copies have none)"
    return f"has the original camera metadata ({facts}){lost}"


def _name_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    if index == 0:
        other = shown(os.path.basename(theirs.path))
        if theirs.extends:
            return f"name without a copy marker ({other} adds to the name {shown(theirs.extends)})"
        return f"name without a copy marker ({other} has '{shown(theirs.marker)}' in its name)"
    return "shorter path"


def _oldest_words(mine: FileView, theirs: FileView, index: int, rule: KeeperRule) -> str:
    if index == 0:
        return f"oldest capture time ({mine.candidate.taken_at})"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mine.mtime / 1e9))
    return f"oldest file (modified {when})"


_CRITERIA: dict[str, _Criterion] = {
    REFERENCE: _Criterion(lambda v: (0 if v.reference else 1,), _reference_words),
    PIXELS: _Criterion(lambda v: (-v.candidate.pixels,), _pixels_words),
    QUALITY: _Criterion(lambda v: (-fidelity(v.candidate),), _quality_words),
    METADATA: _Criterion(lambda v: (-_metadata_count(v.candidate),), _metadata_words),
    NAME: _Criterion(lambda v: (1 if v.marker or v.extends else 0, len(v.path)), _name_words),
    OLDEST: _Criterion(
        # No capture time sorts after any ("~" follows the digits of "YYYY:MM:DD ...").
        lambda v: (v.candidate.taken_at or "~", v.mtime),
        _oldest_words,
    ),
}
