"""Safe removal: to the system trash only, journaled for undo, never the last copy.

Rules, checked for every file before anything moves (one refused file refuses the whole step):
- the file is in the library and under one of its folders;
- it is still there with the content hash the library recorded (a stale library can never
  remove the wrong file);
- it belongs to a duplicate group, and the step leaves at least one member of that group.
The journal lives in the library, so undo works after a restart, several steps deep. Each item
is journaled as ``pending`` before it moves, so a crash mid-step is recoverable.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from twinlens.engine.errors import NothingToUndo, TrashRefused
from twinlens.engine.matching.groups import DuplicateGroup
from twinlens.engine.media.files import content_hash, is_under, stat_file
from twinlens.engine.storage.store import Store

from .system_trash import find_in_trash, restore_from_trash, send_to_trash


@dataclass(frozen=True)
class TrashReceipt:
    """One removal step: its journal id and the files moved to the trash."""

    step: int
    moved: list[str]


def check_removal(
    store: Store, paths: Sequence[str], roots: Sequence[Path], groups: Sequence[DuplicateGroup]
) -> None:
    """Raise TrashRefused unless every rule above holds for removing ``paths`` together."""
    wanted = set(paths)
    for path in paths:
        _check_file(store, path, roots)
    group_of = {m.path: g for g in groups for m in g.members}
    lonely = [p for p in paths if p not in group_of]
    if lonely:
        raise TrashRefused(
            f"{_names(lonely)} has no duplicate in the library: Twinlens only removes extra"
            " copies, never the last one",
            lonely,
        )
    for group in {id(group_of[p]): group_of[p] for p in paths}.values():
        if set(group.paths) <= wanted:
            raise TrashRefused(
                f"removing {_names(group.paths)} would remove every copy of this photo;"
                " keep at least one",
                group.paths,
            )


def _check_file(store: Store, path: str, roots: Sequence[Path]) -> None:
    row = store.photo_by_path(path)
    if row is None or row.status != "indexed":
        raise TrashRefused(f"{path} is not an indexed photo of this library", [path])
    if not any(is_under(path, root) for root in roots):
        raise TrashRefused(f"{path} is outside the library's folders", [path])
    try:
        current = content_hash(Path(path))
    except FileNotFoundError as exc:
        raise TrashRefused(f"{path} no longer exists; scan the folder again", [path]) from exc
    except OSError as exc:
        raise TrashRefused(f"{path} cannot be read ({exc})", [path]) from exc
    if current != row.hash:
        raise TrashRefused(f"{path} changed since it was indexed; scan it again first", [path])


def move_to_trash(store: Store, paths: Sequence[str]) -> TrashReceipt:
    """Journal, then move each file to the system trash and drop it from the library."""
    with store.writing() as db:
        step = (
            db.table("trash_steps").insert({"created_at": time.time(), "undone_at": None}).last_pk
        )
    moved = []
    for path in paths:
        row = store.photo_by_path(path)
        assert row is not None
        record = {
            "step": step,
            "path": path,
            "hash": row.hash,
            "size": row.size,
            "mtime_ns": row.mtime_ns,
            "location": "",
            "state": "pending",
        }
        with store.writing() as db:
            item = int(db.table("trash_items").insert(record).last_pk or 0)
        location = send_to_trash(Path(path))
        with store.writing() as db:
            db.table("trash_items").update(item, {"location": location, "state": "trashed"})
            db.execute("delete from photos where path = ?", [path])
        moved.append(path)
    return TrashReceipt(int(step), moved)


def last_step(store: Store) -> int | None:
    """The newest removal step that still has files in the trash."""
    row = store.db.execute(
        "select max(s.id) from trash_steps s where s.undone_at is null and exists"
        " (select 1 from trash_items i where i.step = s.id and i.state = 'trashed')"
    ).fetchone()
    return row[0]


def undo_last(store: Store) -> list[str]:
    """Put the files of the last removal step back where they were; returns their paths."""
    step = last_step(store)
    if step is None:
        raise NothingToUndo("there is no removal to undo")
    items = list(
        store.db.query(
            "select * from trash_items where step = ? and state = 'trashed' order by id", [step]
        )
    )
    restored = []
    for item in items:
        target = restore_from_trash(item["location"], Path(item["path"]))
        stat = stat_file(target)
        with store.writing() as db:
            db.table("trash_items").update(item["id"], {"state": "restored"})
        store.record_indexed([(str(target), stat.size, stat.mtime_ns, item["hash"])])
        restored.append(str(target))
    with store.writing() as db:
        db.table("trash_steps").update(step, {"undone_at": time.time()})
    return restored


def _names(paths: Sequence[str]) -> str:
    names = [Path(p).name for p in paths]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def recover_pending(store: Store) -> None:
    """Finish the journal of a removal interrupted by a crash (called when a library opens)."""
    pending = list(store.db.query("select * from trash_items where state = 'pending'"))
    for item in pending:
        original = Path(item["path"])
        state = "failed" if original.exists() else "trashed"
        location = "" if original.exists() else find_in_trash(original)
        with store.writing() as db:
            db.table("trash_items").update(item["id"], {"state": state, "location": location})
            if state == "trashed":
                db.execute("delete from photos where path = ?", [item["path"]])
