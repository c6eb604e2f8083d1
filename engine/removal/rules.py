"""The last-copy rule: what must hold before any file of a removal step moves.

For every file the user names (refusal messages use the name as given):
- it is a regular file of the library, named directly: a symbolic link is never a copy of its
  target and nothing is ever removed through one;
- it lies under one of the library's folders and outside every reference folder;
- it is not one the grouping keeps always (the RAW or, by default, the JPEG of a RAW + JPEG
  pair: ``protected``);
- it still holds the content the library recorded (re-hashed now);
- it belongs to a duplicate group, and the step leaves at least one member of that group.
Then every copy that is to remain is re-checked the same way (still there, not a link,
unchanged, inside the library's folders); if one fails, nothing moves and the message names
it. One refused file refuses the whole step.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from twinlens.engine.errors import TrashRefused
from twinlens.engine.matching.groups import DuplicateGroup
from twinlens.engine.media.files import content_hash, is_under
from twinlens.engine.paths import entry_location, shown
from twinlens.engine.storage.store import PhotoRow, Store


@dataclass(frozen=True)
class RemovalPlan:
    """Checked files to move, and the copies that stay (re-checked again when claimed)."""

    files: list[PhotoRow]
    survivors: list[PhotoRow]


def normalise(paths: Sequence[os.PathLike[str] | str]) -> dict[str, str]:
    """Each named file's place on disk (links not followed) -> the name the user gave.

    ``c.jpg``, ``./c.jpg`` and ``../p/c.jpg`` are one file and count once.
    """
    wanted: dict[str, str] = {}
    for given in paths:
        wanted.setdefault(entry_location(given), os.fspath(given))
    return wanted


def plan_removal(
    store: Store,
    wanted: dict[str, str],
    roots: Sequence[Path],
    groups: Sequence[DuplicateGroup],
    references: Sequence[Path] = (),
    protected: Mapping[str, str] | None = None,
    leaving: Collection[str] = (),
) -> RemovalPlan:
    """Check every rule in the module docstring; raise TrashRefused naming the first failure.

    ``protected`` maps files that are always kept to why; ``leaving`` are files that other
    parts of the same step remove (a batch: batch.py), so they never count as survivors.
    """
    rows = store.photos_by_path(wanted)
    files = []
    for path, given in wanted.items():
        row = rows.get(path)
        problem = _file_problem(path, row, roots, references)
        if not problem and protected and path in protected:
            problem = f"is {protected[path]}, and is always kept"
        if problem:
            raise TrashRefused(f"{shown(given)} {problem}; nothing was moved", [given])
        assert row is not None
        files.append(row)
    group_of = {m.path: g for g in groups for m in g.members}
    lonely = [wanted[p] for p in wanted if p not in group_of]
    if lonely:
        raise TrashRefused(
            f"{_names(lonely)} has no duplicate in the library: Twinlens only removes extra"
            " copies, never the last one; nothing was moved",
            lonely,
        )
    survivors: dict[str, str] = {}  # survivor path -> the given name it protects
    for path, given in wanted.items():
        group = group_of[path]
        staying = [p for p in group.paths if p not in wanted and p not in leaving]
        if not staying:
            names = [wanted.get(p, p) for p in group.paths]
            raise TrashRefused(
                f"removing {_names(names)} would remove every copy of this photo;"
                " keep at least one; nothing was moved",
                names,
            )
        for survivor in staying:
            survivors.setdefault(survivor, given)
    kept = store.photos_by_path(survivors)
    for survivor, given in survivors.items():
        problem = _file_problem(survivor, kept.get(survivor), roots, ())
        if problem:
            raise TrashRefused(
                f"{shown(given)} was not moved: its copy {shown(survivor)}, which would"
                f" remain, {problem}; nothing was moved",
                [given, survivor],
            )
    return RemovalPlan(files, [kept[s] for s in survivors])


def _file_problem(
    path: str, row: PhotoRow | None, roots: Sequence[Path], references: Sequence[Path]
) -> str:
    """What is wrong with removing (or relying on) ``path``, in words; "" when nothing."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "no longer exists; scan the folder again" if row else "does not exist"
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        return (
            "is a symbolic link: Twinlens never removes a file through a link, and a link is"
            " never a copy of its target"
        )
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if row is None or row.status != "indexed":
        return "is not an indexed photo of this library"
    if os.path.realpath(path) != path:
        return "is now reached through a symbolic link; scan the folder again"
    if not any(is_under(path, root) for root in roots):
        return "is outside the library's folders"
    if any(is_under(path, ref) for ref in references):
        return "is in a reference folder, whose photos are always kept"
    try:
        current = content_hash(Path(path))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if current != row.hash:
        return "changed since it was indexed; scan it again first"
    return ""


def _names(paths: Sequence[str]) -> str:
    names = [shown(os.path.basename(p)) for p in paths]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
