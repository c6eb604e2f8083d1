"""The alternative to the trash: move the removed copies into a folder the person chose.

Each file keeps its place relative to the library folder it came from
(``FOLDER/<library folder's name>/<path inside it>``), so the moved copies can be sorted
through later. Like the trash it is journaled (storage/journal.py, method ``move``) and
undone by ``undo``; like the trash it never follows a link and never overwrites anything:
the target name is reserved with an exclusive create before the file is renamed onto it.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from twinlens.engine.errors import TrashRefused
from twinlens.engine.media.files import content_hash, is_under
from twinlens.engine.paths import physical, shown


def check_destination(folder: Path | str, roots: Sequence[Path]) -> Path:
    """The folder to move copies into, resolved; refused when the library would see them.

    Raises:
        TrashRefused: the folder lies inside one of the library's folders, or is not a
            folder.
    """
    place = physical(folder)
    if os.path.lexists(place) and not place.is_dir():
        raise TrashRefused(f"{shown(folder)} is not a folder; nothing was moved", [str(folder)])
    inside = next((r for r in roots if is_under(place, r) or is_under(r, place)), None)
    if inside is not None:
        raise TrashRefused(
            f"{shown(folder)} overlaps the library's folder {shown(inside)}: the moved copies"
            " would be found again; choose a folder outside the library; nothing was moved",
            [str(folder)],
        )
    return place


def target_for(path: str, roots: Sequence[Path], folder: Path) -> Path:
    """Where ``path`` goes: below ``folder``, under its library folder's name."""
    root = max((r for r in roots if is_under(path, r)), key=lambda r: len(str(r)))
    return folder / (root.name or "library") / Path(path).relative_to(root)


def move_file(source: Path, target: Path) -> None:
    """Move one regular file to ``target``, never overwriting and never through a link.

    Raises:
        OSError: the target is taken, a folder on the way is a link, or the move failed
            (the source is then where it was).
    """
    info = os.lstat(source)
    if not stat.S_ISREG(info.st_mode) or os.path.realpath(source) != str(source):
        raise OSError(errno.ELOOP, f"{shown(source)} is a link or not a regular file")
    _make_folders(target.parent)
    # Reserve the name: fails if anything is there, so nothing is ever overwritten.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            os.unlink(target)
            raise
        _copy_across(source, target)


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and the missing ones above it, after checking that the existing
    part of the way holds no link (a link there would take the file somewhere else)."""
    missing = []
    existing = folder
    while not os.path.lexists(existing):
        missing.append(existing)
        existing = existing.parent
    if os.path.realpath(existing) != str(existing) or not existing.is_dir():
        raise OSError(errno.ELOOP, f"{shown(existing)} is a link or not a folder")
    for part in reversed(missing):
        os.mkdir(part)


def _copy_across(source: Path, target: Path) -> None:
    """Another file system: copy, check the bytes, then remove the source."""
    partial = target.with_name(target.name + ".twinlens-partial")
    try:
        shutil.copy2(source, partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        if content_hash(partial) != content_hash(source):
            raise OSError(errno.EIO, f"the copy of {shown(source)} does not match it")
        os.replace(partial, target)  # onto the reserved name
    except BaseException:
        for leftover in (partial, target):
            if os.path.lexists(leftover):
                os.unlink(leftover)
        raise
    os.unlink(source)


def is_reservation(path: str) -> bool:
    """An empty file left where an interrupted move had reserved its name."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == 0
