"""Duplicate groups as rows for a spreadsheet (CSV) or a script (JSON), one row per file.

Columns: group, tier, path, edit, keeper, reason, size, width, height, date, reference,
pair, kept. Paths are exact in both: JSON keeps undecodable bytes as ``\\udcXX`` (PEP 383)
plus ``path_bytes`` (base64 of the exact bytes) for names that are not UTF-8; CSV has no
such escape, so its ``path`` column shows such bytes as ``\\xNN`` (readable, not exact) and
its ``path_bytes`` column holds the base64 of the exact bytes (empty for UTF-8 names).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from twinlens.engine.paths import json_fields, shown
from twinlens.engine.storage.catalog import PhotoFacts

from .groups import DuplicateGroup

COLUMNS = (
    "group",
    "tier",
    "path",
    "path_bytes",
    "edit",
    "keeper",
    "reason",
    "size",
    "width",
    "height",
    "date",
    "reference",
    "pair",
    "kept",
)


def export_rows(
    groups: Sequence[DuplicateGroup], facts: Mapping[str, PhotoFacts]
) -> list[dict[str, Any]]:
    """One row per file, groups numbered from 1 in the order given (JSON form of paths)."""
    rows = []
    for number, group in enumerate(groups, 1):
        for member in group.members:
            fact = facts.get(member.path)
            rows.append(
                {
                    "group": number,
                    "tier": group.tier,
                    **json_fields(member.path),
                    "edit": member.edit,
                    "keeper": member.path == group.keeper,
                    "reason": group.keeper_reason,
                    "size": fact.size if fact else None,
                    "width": fact.width if fact else None,
                    "height": fact.height if fact else None,
                    "date": _date(fact),
                    "reference": member.reference,
                    "pair": member.pair,
                    "kept": member.kept,
                }
            )
    return rows


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    """``{"columns": [...], "rows": [...]}``, ASCII only (exact paths survive any pipe)."""
    return json.dumps({"columns": list(COLUMNS), "rows": list(rows)}, indent=2) + "\n"


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """RFC 4180 CSV with a header line; readable paths plus exact ``path_bytes``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        plain = {key: _cell(row.get(key)) for key in COLUMNS}
        plain["path"] = shown(row["path"])
        writer.writerow(plain)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _date(fact: PhotoFacts | None) -> str:
    """The photo's capture time (EXIF form), else the file's modification time."""
    if fact is None:
        return ""
    if fact.taken_at:
        return fact.taken_at
    return time.strftime("%Y:%m:%d %H:%M:%S", time.localtime(fact.modified_ns / 1e9))
