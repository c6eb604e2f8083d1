"""Safe removal: to the system trash (or a chosen folder, mover.py), journaled for undo,
never the last copy.

The rules are checked by rules.py before anything moves; then the step is claimed in the
journal (storage/journal.py) in one transaction that re-checks the library, and each file is
moved on its own: a file that cannot be moved (a name too long for the trash, a permission)
is reported as failed and stays, while the others go. A process killed at any moment leaves
a journal that ``recover`` completes when the library is next opened.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinlens.engine.errors import NothingToUndo, UndoFailed
from twinlens.engine.paths import shown
from twinlens.engine.storage.journal import MOVE, TRASH, Journal, JournalItem
from twinlens.engine.storage.store import Store

from .mover import is_reservation, move_file, target_for
from .rules import RemovalPlan
from .system_trash import find_in_trash, free_name, restore_from_trash, send_to_trash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrashReceipt:
    """One removal step: its journal id, the files moved, and those that could not be."""

    step: int
    moved: list[str]
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(path, why) of each file that stayed where it was."""


def carry_out(
    journal: Journal,
    plan: RemovalPlan,
    folder: Path | None = None,
    roots: Sequence[Path] = (),
) -> TrashReceipt:
    """Claim the step in the journal, then move each file to the system trash, or (with
    ``folder``) into that folder, keeping its path relative to its library folder."""
    method = TRASH if folder is None else MOVE
    items = journal.claim(
        plan.files, plan.survivors, method, None if folder is None else str(folder)
    )
    moved: list[str] = []
    failed: list[tuple[str, str]] = []
    for item in items:
        try:
            _still_a_plain_file(item.path)
            if folder is None:
                location = send_to_trash(Path(item.path))
            else:
                target = target_for(item.path, roots, folder)
                journal.moving(item, str(target))  # recovery knows where it was going
                move_file(Path(item.path), target)
                location = str(target)
        except OSError as exc:
            detail = _why(exc)
            journal.failed(item, detail)
            failed.append((item.path, detail))
            continue
        journal.trashed(item, location)
        moved.append(item.path)
    return TrashReceipt(items[0].step if items else 0, moved, failed)


def undo_last(journal: Journal) -> list[str]:
    """Put the files of the last removal step back where they were; returns their paths.

    Raises:
        NothingToUndo: no step has files in the trash.
        UndoFailed: some file could not be restored (``restored`` lists those that were).
    """
    step = journal.last_step()
    if step is None:
        raise NothingToUndo("there is no removal to undo")
    restored: list[str] = []
    problems: list[str] = []
    for item in journal.items(step, "trashed"):
        target = free_name(Path(item.path))
        journal.restoring(item, str(target))
        try:
            _put_back(item, target)
        except (UndoFailed, OSError) as exc:
            journal.back_in_trash(item)
            problems.append(str(exc))
            continue
        info = os.lstat(target)
        journal.restored(item, str(target), info.st_size, info.st_mtime_ns)
        restored.append(str(target))
    if problems:
        raise UndoFailed("; ".join(problems), restored)
    journal.finish_undo(step)
    return restored


def _put_back(item: JournalItem, target: Path) -> None:
    if item.method == MOVE:
        if not item.location or not os.path.lexists(item.location):
            raise UndoFailed(
                f"{shown(target.name)} is no longer at {shown(item.location)}, where it was moved"
            )
        move_file(Path(item.location), target)
        return
    # a crash may have left the place in the trash unknown: look again
    restore_from_trash(item.location or find_in_trash(Path(item.path)), target)


def recover(store: Store, journal: Journal) -> None:
    """Finish the journal of a removal or undo interrupted by a crash (on every open)."""
    for item in journal.unfinished():
        try:
            if item.state == "pending":
                _recover_pending(journal, item)
            else:
                _recover_restoring(journal, item)
        except (OSError, ValueError):  # never let one odd item keep the library from opening
            log.warning("could not finish the journal of %s", shown(item.path), exc_info=True)


def _recover_pending(journal: Journal, item: JournalItem) -> None:
    if os.path.lexists(item.path):
        if item.method == MOVE and item.location and is_reservation(item.location):
            os.unlink(item.location)  # the name reserved by the move that never happened
        journal.failed(item, "interrupted before it moved")
        return
    if item.method == MOVE:
        journal.trashed(item, item.location)
        return
    journal.trashed(item, find_in_trash(Path(item.path)))


def _recover_restoring(journal: Journal, item: JournalItem) -> None:
    in_trash = bool(item.location) and os.path.lexists(item.location)
    target = item.target
    if target is not None and not in_trash and os.path.lexists(target):
        info = os.lstat(target)
        journal.restored(item, target, info.st_size, info.st_mtime_ns)
    else:
        journal.back_in_trash(item)


def _still_a_plain_file(path: str) -> None:
    """Right before the move: the very entry that was checked, never through a link."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or os.path.realpath(path) != path:
        raise OSError(f"{path} became a link or another kind of file since it was checked")


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:  # the trash adds ".trashinfo" to the name
        return "its name is too long for the system trash; rename it and try again"
    return exc.strerror or str(exc)
