"""A way out of a damaged library: set the file aside and keep what can still be read.

``twinlens rebuild`` calls these: the damaged file (and its -wal/-shm) is renamed, never
deleted, and whatever rows of the small tables can still be read (folders, settings,
"not a duplicate" marks, the removal journal so undo keeps working) are copied into the new
library before its folders are scanned again. Photos and codes are not copied: a rescan
rebuilds them from the files themselves, which is the one source that cannot be damaged here.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinlens.engine.paths import from_bytes

# Table -> columns copied as they are. Order matters: steps before their items.
_KEPT = {
    "roots": ("path", "added_at"),
    "settings": ("key", "value"),
    "dismissed": ("hashes", "created_at"),
    "reference_folders": ("path", "added_at"),
    "trash_steps": ("id", "created_at", "undone_at", "method", "destination"),
    "trash_items": (
        "id",
        "step",
        "path",
        "hash",
        "size",
        "mtime_ns",
        "location",
        "state",
        "detail",
        "target",
    ),
}


@dataclass
class Salvage:
    """Rows read back from a damaged library, table by table; ``lost`` names what failed."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)

    @property
    def roots(self) -> list[Path]:
        return [Path(from_bytes(row[0])) for row in self.rows.get("roots", [])]


def read_what_survives(path: Path) -> Salvage:
    """Every readable row of the kept tables; each table that cannot be read is noted."""
    salvage = Salvage()
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        salvage.lost = list(_KEPT)
        return salvage
    with closing(conn):
        for table, columns in _KEPT.items():
            try:
                present = {r[1] for r in conn.execute(f"pragma table_info({table})")}
                if not present:  # a table of a later schema step than the damaged file's
                    continue
                wanted = [c for c in columns if c in present]
                found = conn.execute(f"select {', '.join(wanted)} from {table}").fetchall()
                salvage.rows[table] = [_padded(r, wanted, columns) for r in found]
            except sqlite3.Error:
                salvage.lost.append(table)
    return salvage


def restore_rows(db: Any, salvage: Salvage) -> None:
    """Insert the salvaged rows into a new library (inside the caller's transaction)."""
    for table, rows in salvage.rows.items():
        columns = _KEPT[table]
        marks = ", ".join("?" * len(columns))
        sql = f"insert or ignore into {table} ({', '.join(columns)}) values ({marks})"
        for row in rows:
            db.execute(sql, row)


def set_aside(path: Path) -> Path:
    """Rename the damaged file (and its WAL files) to ``NAME.damaged-YYYYmmdd-HHMMSS``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def _padded(row: tuple[Any, ...], wanted: list[str], columns: tuple[str, ...]) -> tuple[Any, ...]:
    values = dict(zip(wanted, row, strict=True))
    return tuple(values.get(c) for c in columns)
