"""The removal journal: every file moved to the trash (or to a chosen folder), so undo works
after a restart.

An item is journaled ``pending`` before its file moves and ``restoring`` (with the place it
goes back to) before undo moves it, so a process killed at any moment leaves a journal from
which the next open finishes the story (removal/trash.py ``recover``). States:
``pending`` -> ``trashed`` | ``failed``; ``trashed`` -> ``restoring`` -> ``restored``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twinlens.engine.errors import TrashRefused
from twinlens.engine.paths import from_bytes, shown, to_bytes

from .store import PHOTO_COLUMNS, PhotoRow, Store, photo_row, upsert_photo

PENDING = "pending"
TRASHED = "trashed"
FAILED = "failed"
RESTORING = "restoring"
RESTORED = "restored"

TRASH = "trash"
MOVE = "move"


@dataclass(frozen=True)
class JournalItem:
    """One file of one removal step."""

    id: int
    step: int
    path: str
    hash: str | None
    size: int
    mtime_ns: int
    location: str
    """Where the file lies in the system trash ("" where the platform does not say)."""
    state: str
    target: str | None
    """Where undo is putting it back (set while ``restoring``)."""
    method: str = TRASH
    """TRASH or MOVE: the step's way of removing (``location`` is the new place for MOVE)."""


_ITEM = (
    "id, step, path, hash, size, mtime_ns, location, state, target,"
    " (select coalesce(s.method, 'trash') from trash_steps s where s.id = step)"
)


class Journal:
    """The trash_steps / trash_items tables of one library."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def claim(
        self,
        files: Sequence[PhotoRow],
        survivors: Sequence[PhotoRow],
        method: str = TRASH,
        destination: str | None = None,
    ) -> list[JournalItem]:
        """Journal a removal step for ``files``, all ``pending``, in one IMMEDIATE transaction.

        ``method`` is TRASH (the system trash) or MOVE (to the folder ``destination``).

        Inside the same transaction every file and every survivor must still be listed with
        the content it had when it was checked, and none may be part of another process's
        unfinished removal: of two processes removing the two copies of a pair, exactly one
        gets here first and the other is refused.
        """
        with self.store.writing() as db:
            for row in [*files, *survivors]:
                found = db.execute(
                    f"select {PHOTO_COLUMNS} from photos where path = ?", [to_bytes(row.path)]
                ).fetchone()
                if found is None or photo_row(found).hash != row.hash:
                    raise TrashRefused(
                        f"{shown(row.path)} changed in the library meanwhile (another Twinlens"
                        " removed or re-indexed it); nothing was moved",
                        [row.path],
                    )
                busy = db.execute(
                    "select 1 from trash_items where path = ? and state in (?, ?)",
                    [to_bytes(row.path), PENDING, RESTORING],
                ).fetchone()
                if busy:
                    raise TrashRefused(
                        f"{shown(row.path)} is being moved by another Twinlens right now;"
                        " nothing was moved",
                        [row.path],
                    )
            cursor = db.execute(
                "insert into trash_steps (created_at, undone_at, method, destination)"
                " values (?, null, ?, ?)",
                [time.time(), method, None if destination is None else to_bytes(destination)],
            )
            step = int(cursor.lastrowid or 0)
            for row in files:
                db.execute(
                    "insert into trash_items (step, path, hash, size, mtime_ns, location, state)"
                    " values (?, ?, ?, ?, ?, '', ?)",
                    [step, to_bytes(row.path), row.hash, row.size, row.mtime_ns, PENDING],
                )
        return self.items(step, PENDING)

    def trashed(self, item: JournalItem, location: str) -> None:
        """The file is in the trash: record where, and drop it from the library."""
        with self.store.writing() as db:
            db.execute(
                "update trash_items set state = ?, location = ? where id = ?",
                [TRASHED, to_bytes(location), item.id],
            )
            db.execute("delete from photos where path = ?", [to_bytes(item.path)])

    def moving(self, item: JournalItem, target: str) -> None:
        """Where a MOVE step's file is about to go (set before it moves: crash recovery)."""
        with self.store.writing() as db:
            db.execute(
                "update trash_items set location = ? where id = ?", [to_bytes(target), item.id]
            )

    def failed(self, item: JournalItem, detail: str) -> None:
        """The file could not be moved; it stays where it is, and in the library."""
        with self.store.writing() as db:
            db.execute(
                "update trash_items set state = ?, detail = ? where id = ?",
                [FAILED, shown(detail), item.id],
            )

    def restoring(self, item: JournalItem, target: str) -> None:
        with self.store.writing() as db:
            db.execute(
                "update trash_items set state = ?, target = ? where id = ?",
                [RESTORING, to_bytes(target), item.id],
            )

    def restored(self, item: JournalItem, target: str, size: int, mtime_ns: int) -> None:
        """The file is back at ``target``: listed again under its recorded content."""
        with self.store.writing() as db:
            db.execute("update trash_items set state = ? where id = ?", [RESTORED, item.id])
            if item.hash is not None:
                now = time.time()
                upsert_photo(db, target, size, mtime_ns, item.hash, "indexed", None, None, now)

    def back_in_trash(self, item: JournalItem) -> None:
        """An interrupted undo that had not moved the file yet: it is trashed, as before."""
        with self.store.writing() as db:
            db.execute(
                "update trash_items set state = ?, target = null where id = ?",
                [TRASHED, item.id],
            )

    def finish_undo(self, step: int) -> None:
        with self.store.writing() as db:
            db.execute("update trash_steps set undone_at = ? where id = ?", [time.time(), step])

    def last_step(self) -> int | None:
        """The newest removal step that still has files in the trash."""
        value = self.store.scalar(
            "select max(s.id) from trash_steps s where s.undone_at is null and exists"
            " (select 1 from trash_items i where i.step = s.id and i.state = ?)",
            [TRASHED],
        )
        return None if value is None else int(value)

    def method(self, step: int) -> str:
        """How a step removed its files: TRASH, or MOVE to a folder (m010)."""
        value = self.store.scalar("select method from trash_steps where id = ?", [step])
        return str(value or TRASH)

    def items(self, step: int, state: str) -> list[JournalItem]:
        sql = f"select {_ITEM} from trash_items where step = ? and state = ? order by id"
        return [_item(r) for r in self.store.rows(sql, [step, state])]

    def unfinished(self) -> list[JournalItem]:
        """Items a killed process left ``pending`` or ``restoring``."""
        sql = f"select {_ITEM} from trash_items where state in (?, ?) order by id"
        return [_item(r) for r in self.store.rows(sql, [PENDING, RESTORING])]


def _item(row: Sequence[Any]) -> JournalItem:
    return JournalItem(
        id=int(row[0]),
        step=int(row[1]),
        path=from_bytes(row[2]),
        hash=row[3],
        size=int(row[4] or 0),
        mtime_ns=int(row[5] or 0),
        location=from_bytes(row[6] or b""),
        state=str(row[7]),
        target=None if row[8] is None else from_bytes(row[8]),
        method=str(row[9] or TRASH),
    )
