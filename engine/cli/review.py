"""Review at library scale from the command line (issue 12): reference folders, library
settings, exports, and removing whole groups' extra copies from a ``dupes --json`` file.

``trash --from-dupes FILE`` and ``move --to FOLDER`` re-check everything through the same
last-copy rule as a plain ``trash``: the file may be stale, so each group's extra copies are
checked against the library as it is now; what is refused is reported group by group and
the rest goes, as one step that one ``undo`` reverses.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from twinlens.engine import (
    LIBRARY_SETTINGS,
    TIERS,
    BatchReceipt,
    Library,
    TwinlensError,
    is_duplicate,
    shown,
)

from .output import say, warn

EXIT_OK, EXIT_ERROR = 0, 2
DUPLICATE_TIERS = tuple(t.name for t in TIERS if t.duplicate)


def reference(args: argparse.Namespace, library: Library) -> int:
    """``reference add|remove|list [FOLDER]``."""
    if args.action == "list":
        for folder in library.references():
            say(shown(folder))
        return EXIT_OK
    if args.folder is None:
        raise TwinlensError(f"twinlens reference {args.action} needs a FOLDER")
    if args.action == "add":
        became_root = library.add_reference(args.folder)
        say(f"reference folder (always kept): {shown(Path(args.folder).resolve())}")
        if became_root:
            warn("It was not in the library: it is one of its folders now; indexing it.")
        return EXIT_OK
    library.remove_reference(args.folder)
    say(f"no longer a reference folder: {shown(Path(args.folder).resolve())}")
    return EXIT_OK


def settings(args: argparse.Namespace, library: Library) -> int:
    """``settings`` lists the library's settings; ``settings KEY VALUE`` changes one."""
    if args.key is None:
        helps = {s.key: s.help for s in LIBRARY_SETTINGS}
        for key, value in library.settings().items():
            say(f"{key} = {value}    # {helps.get(key, '')}")
        return EXIT_OK
    if args.value is None:
        raise TwinlensError(f"give a value: twinlens settings {args.key} VALUE")
    say(f"{args.key} = {library.change_setting(args.key, args.value)}")
    return EXIT_OK


def export(args: argparse.Namespace, library: Library) -> int:
    """``export FILE.csv|FILE.json``: every duplicate group, one row per file."""
    target = Path(args.file)
    fmt = args.format or target.suffix.lstrip(".").lower()
    if fmt not in ("csv", "json"):
        raise TwinlensError(f"{shown(target)}: name a .csv or .json file, or say --format csv|json")
    groups = library.duplicate_groups(include_similar=args.similar)
    text = library.export_groups(groups, fmt)
    if str(target) == "-":
        say(text.rstrip("\n"))
        return EXIT_OK
    if target.exists() and not args.force:
        raise TwinlensError(f"{shown(target)} already exists: nothing was written (--force)")
    target.write_text(text, encoding="utf-8", newline="")
    warn(f"Exported {len(groups)} group(s) to {shown(target)}")
    return EXIT_OK


def selections_from_dupes(file: Path, tiers: list[str]) -> list[list[str]]:
    """The extra copies of each group of a ``dupes --json`` file, in the chosen tiers.

    Keepers, reference-folder files and files the library always keeps (``kept``) are never
    selected; similar shots never are either.
    """
    payload = _read_dupes(file)
    out = []
    for number, group in enumerate(payload, 1):
        if not isinstance(group, dict) or "members" not in group or "keeper" not in group:
            raise TwinlensError(
                f"{shown(file)}: group {number} has no members or keeper: is this the output"
                " of `twinlens dupes --json`?"
            )
        if group.get("tier") not in tiers or not is_duplicate(str(group.get("tier"))):
            continue
        keeper = _path(group.get("keeper_bytes"), group["keeper"])
        chosen = [
            path
            for member in group["members"]
            if not member.get("reference") and not member.get("kept")
            if (path := _path(member.get("path_bytes"), member.get("path"))) != keeper
        ]
        if chosen:
            out.append(chosen)
    return out


def remove_from_dupes(args: argparse.Namespace, library: Library, to: Path | None) -> int:
    tiers = _tiers(args.tier)
    selections = selections_from_dupes(Path(args.from_dupes), tiers)
    if not selections:
        say(f"Nothing to remove: no group of tier {', '.join(tiers)} has an extra copy.")
        return EXIT_OK
    batch = library.remove_groups(selections, to=to)
    return report_batch(batch, to)


def report_batch(batch: BatchReceipt, to: Path | None) -> int:
    """One line per moved file, one per refused group, one per failed file."""
    where = "the trash" if to is None else shown(to)
    for path in batch.receipt.moved:
        say(f"moved to {where}: {shown(path)}")
    for _names, why in batch.refused:  # the reason names the file it is about
        warn(f"twinlens: refused: {shown(why)}")
    for path, why in batch.receipt.failed:
        warn(f"twinlens: not moved: {shown(path)}: {why}")
    moved = len(batch.receipt.moved)
    groups = len(batch.refused)
    warn(
        f"{moved} file(s) moved to {where}"
        + (f"; {groups} group(s) refused" if groups else "")
        + ("; twinlens undo brings them back in one step." if moved else ".")
    )
    return EXIT_ERROR if batch.refused or batch.receipt.failed else EXIT_OK


def _tiers(text: str | None) -> list[str]:
    if not text:
        return list(DUPLICATE_TIERS)
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    wrong = [t for t in chosen if t not in DUPLICATE_TIERS]
    if wrong:
        raise TwinlensError(
            f"--tier {wrong[0]!r} is not a duplicate tier; choose from {', '.join(DUPLICATE_TIERS)}"
        )
    return chosen


def _read_dupes(file: Path) -> list[Any]:
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise TwinlensError(f"{shown(file)}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TwinlensError(f"{shown(file)} cannot be read: {exc}") from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TwinlensError(
            f"{shown(file)} is not JSON (line {exc.lineno}: {exc.msg}); write it with"
            " `twinlens dupes --json > FILE`"
        ) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("groups"), list):
        raise TwinlensError(
            f'{shown(file)} has no "groups" list: is this the output of `twinlens dupes --json`?'
        )
    return payload["groups"]


def _path(exact: object, text: object) -> str:
    """A path from the JSON contract: ``*_bytes`` (base64, exact) when present."""
    if isinstance(exact, str):
        try:
            return os.fsdecode(base64.b64decode(exact, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise TwinlensError(f"a path_bytes value is not base64: {exact[:40]!r}") from exc
    if not isinstance(text, str):
        raise TwinlensError("a group member has no path")
    return text
