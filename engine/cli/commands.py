"""One function per ``twinlens`` subcommand: each asks the Library and prints the answer.

Read-only commands (``info``, ``similar``, ``trash``, ``undo``, ``watch``) never create a
library; ``scan`` and ``dupes`` do. Every path a person reads goes through ``shown``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any, TypeVar

from twinlens.engine import (
    TIERS,
    DuplicateGroup,
    Library,
    Progress,
    ScanSummary,
    SearchAnswer,
    TwinlensError,
    UndoFailed,
    bundled_samples,
    default_library_path,
    encode_files,
    run_to_end,
    shown,
    to_hex,
)

from . import review
from .output import ProgressBar, errors_json, json_fields, path_json, print_json, say, warn

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 2

TIER_WORDS = {tier.name: tier.words for tier in TIERS}
PAIR_WORDS = "RAW + JPEG pair (one shot in two formats: both kept)"
VERDICTS = {
    "exact": "Already in the library: this very file",
    "same_photo": "Already in the library: the same photo",
    "edited_copy": "Already in the library: an edited copy",
    "similar_shot": "Not in the library, but similar shots are",
    "": "Not in the library: nothing like it",
}


def scan(args: argparse.Namespace) -> int:
    _require_folders(args.paths)
    with _open(args, create=True) as library:
        roots = library.add_roots(args.paths)
        summary = _drive(library.scan(roots), "Indexing")
        _print_summary(summary)
    return EXIT_OK


def dupes(args: argparse.Namespace) -> int:
    _require_folders(args.paths)
    with _open(args, create=True) as library:
        paths = list(args.paths)
        if not paths and not library.roots():
            paths = [bundled_samples()]
            warn(f"No folder named: using the bundled sample library {shown(paths[0])}")
        if paths:
            roots = library.add_roots(paths)
            _print_summary(_drive(library.scan(roots), "Indexing"), quiet=True)
        within = [Path(p) for p in paths] or None
        if args.prefer is not None:  # remembered in the library (issue 12)
            order = library.set_keeper_order(args.prefer)
            warn(f"Keeper criteria, in order: {', '.join(order)} (remembered in the library)")
        groups = library.duplicate_groups(within=within, include_similar=args.similar)
        errors = library.errors()
        if args.json:
            print_json({"groups": [_group_json(g) for g in groups], "errors": errors_json(errors)})
        else:
            _print_groups(groups, len(errors))
    return EXIT_OK


def similar(args: argparse.Namespace) -> int:
    image = Path(args.image)
    if not image.exists():
        raise TwinlensError(f"{shown(image)}: no such file")
    if image.is_dir():
        raise TwinlensError(f"{shown(image)} is a folder: name one image to search with")
    with _open(args) as library:
        answer = library.search_file(image, top=args.top)
        if args.json:
            print_json(_answer_json(answer))
        else:
            _print_answer(answer)
    return EXIT_OK


def info(args: argparse.Namespace) -> int:
    with _open(args) as library:
        facts = library.info()
        if args.json:
            print_json(facts.__dict__)
            return EXIT_OK
        say(f"Library:  {shown(facts.path)}")
        say(f"Photos:   {facts.photos} ({facts.indexed} indexed)")
        say(f"Model:    {facts.model} on {facts.provider}")
        for root in facts.roots:
            say(f"Folder:   {shown(root)}")
        for reason, count in facts.errors.items():
            say(f"Errors:   {count} {reason}")
    return EXIT_OK


def trash(args: argparse.Namespace) -> int:
    return _remove(args, None)


def move(args: argparse.Namespace) -> int:
    return _remove(args, Path(args.to))


def _remove(args: argparse.Namespace, to: Path | None) -> int:
    """``trash`` / ``move --to``: named files (all or nothing), or a ``dupes --json`` file's
    groups (each group checked on its own: review.py)."""
    if bool(args.paths) == bool(args.from_dupes):
        raise TwinlensError("name the files to remove, or give --from-dupes FILE (not both)")
    if args.tier and not args.from_dupes:
        raise TwinlensError("--tier chooses groups of a --from-dupes file")
    with _open(args) as library:
        if args.from_dupes:
            return review.remove_from_dupes(args, library, to)
        receipt = library.trash(args.paths, to=to)
        where = "the trash" if to is None else shown(to)
        for path in receipt.moved:
            say(f"moved to {where}: {shown(path)}")
        for path, why in receipt.failed:
            warn(f"twinlens: not moved: {shown(path)}: {why}")
        if receipt.moved:
            warn("twinlens undo restores them.")
    return EXIT_ERROR if receipt.failed else EXIT_OK


def reference(args: argparse.Namespace) -> int:
    with _open(args, create=args.action == "add") as library:
        code = review.reference(args, library)
        if args.action == "add" and args.folder is not None:
            _print_summary(_drive(library.scan([Path(args.folder)]), "Indexing"), quiet=True)
        return code


def settings(args: argparse.Namespace) -> int:
    with _open(args) as library:
        return review.settings(args, library)


def export(args: argparse.Namespace) -> int:
    with _open(args) as library:
        return review.export(args, library)


def undo(args: argparse.Namespace) -> int:
    with _open(args) as library:
        try:
            restored = library.undo()
        except UndoFailed as exc:
            for path in exc.restored:
                say(f"restored: {shown(path)}")
            raise
        for path in restored:
            say(f"restored: {shown(path)}")
    return EXIT_OK


def rebuild(args: argparse.Namespace) -> int:
    _require_folders(args.paths)
    path = args.library or default_library_path()
    library, aside, salvage = Library.rebuild(path, args.paths)
    with library:
        warn(f"The damaged library was kept as {shown(aside)}")
        if salvage.lost:
            warn("Could not be read back from it: " + ", ".join(salvage.lost))
        _print_summary(_drive(library.scan(), "Indexing"))
    return EXIT_OK


def watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    with _open(args) as library:
        if not library.roots():
            raise TwinlensError("the library has no folders yet: twinlens scan PATH first")
        stop = threading.Event()

        def report(change: Any) -> None:  # from the watcher's thread: one write per line
            for line in change.describe():
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        # Ctrl+C and a service manager's SIGTERM both end the watch cleanly (the batch in
        # progress is written), even when the parent process started us with SIGINT ignored.
        stop_signals = [signal.SIGINT, signal.SIGTERM]
        previous = {sig: signal.signal(sig, request_stop) for sig in stop_signals}
        # Said before the watcher starts: from then on only its thread prints, so lines never
        # interleave (two threads' print() could merge two lines) and this one comes first.
        folders = ", ".join(shown(root) for root in library.roots())
        print(f"Watching {folders} (Ctrl+C stops)", flush=True)
        watcher = library.watch(report)
        try:
            while not stop.wait(0.5):
                if watcher.failure is not None:
                    raise watcher.failure
        finally:
            watcher.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return EXIT_OK


def encode(args: argparse.Namespace) -> int:
    _require_paths(args.paths)
    codes, errors = [], []
    for item in encode_files(args.paths):
        if item.error is not None:
            reason, detail = item.error.reason.value, item.error.detail
            errors.append(path_json(item.path, reason=reason, detail=detail))
            if not args.json:
                warn(f"twinlens: {shown(item.path)}: {item.error.reason.value}")
            continue
        assert item.code is not None
        hex_code = to_hex(item.code, item.bits)
        codes.append(path_json(item.path, code=hex_code, bits=item.bits))
        if not args.json:
            say(f"{hex_code}  {shown(item.path)}")
    if args.json:
        print_json({"codes": codes, "errors": errors})
    return EXIT_OK


# -- helpers ----------------------------------------------------------------------------


def _open(args: argparse.Namespace, create: bool = False) -> Library:
    return Library(args.library or default_library_path(), create=create)


def _require_paths(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise TwinlensError(f"{shown(path)}: no such file or folder")


def _require_folders(paths: list[Path]) -> None:
    _require_paths(paths)
    for path in paths:
        if not path.is_dir():
            raise TwinlensError(
                f"{shown(path)} is a file: a library holds folders; name the folder it is in"
            )


def _drive(job: Generator[Progress, None, T], label: str) -> T:
    """Run a job generator to its end, drawing its progress on stderr."""
    bar = ProgressBar(label)
    try:
        return run_to_end(job, bar.show)
    finally:
        bar.finish()


def _print_summary(summary: ScanSummary, quiet: bool = False) -> None:
    """The scan's counts and errors on stderr (``quiet``: only when something failed)."""
    if quiet and not (summary.errors or summary.missing_roots or summary.cancelled):
        return
    lines = [
        f"Photos: {summary.seen} found, {summary.encoded} indexed, {summary.reused} known by"
        f" content, {summary.unchanged} unchanged, {summary.removed} removed",
    ]
    if summary.links_skipped:
        lines.append(
            f"Skipped {summary.links_skipped} symbolic link(s): a link is never indexed as a"
            " copy of the photo it points to"
        )
    if summary.missing_roots:
        missing = ", ".join(shown(p) for p in summary.missing_roots)
        lines.append(f"Missing folders (kept as they were): {missing}")
    if summary.errors:
        lines.append(f"Could not read {len(summary.errors)} file(s):")
        lines += [f"  {e.reason}: {shown(e.path)} ({shown(e.detail)})" for e in summary.errors[:50]]
        if len(summary.errors) > 50:
            lines.append(f"  ... and {len(summary.errors) - 50} more (twinlens info)")
    if summary.cancelled:
        lines.append("Cancelled: run the same command again to resume.")
    warn("\n".join(lines))


def _print_groups(groups: list[DuplicateGroup], error_count: int) -> None:
    if not groups:
        say("No duplicates found.")
    for number, group in enumerate(groups, 1):
        kind = PAIR_WORDS if group.raw_jpeg_pair else TIER_WORDS.get(group.tier, group.tier)
        say(f"Group {number}: {kind}, {len(group.members)} files")
        say(f"  keep  {shown(group.keeper)}  ({group.keeper_reason})")
        for member in group.members[1:]:
            what = member.edit or f"distance {member.distance}"
            kept = "; always kept: " + member.kept if member.kept else ""
            say(f"        {shown(member.path)}  ({what}{kept})")
    if error_count:
        warn(f"{error_count} file(s) could not be read: see twinlens info")


def _print_answer(answer: SearchAnswer) -> None:
    closest = f": {shown(answer.closest)}" if answer.closest else ""
    say(f"{VERDICTS[answer.in_library]}{closest}")
    for result in answer.results:
        tier = result.tier.replace("_", " ") or "not alike"
        say(f"{result.distance:3d}  {tier:12s}  {shown(result.path)}")
        for copy in result.copies:
            say(f"     {'copy':12s}  {shown(copy)}")


def _answer_json(answer: SearchAnswer) -> dict[str, Any]:
    return {
        "results": [
            path_json(r.path, distance=r.distance, tier=r.tier, copies=list(r.copies))
            for r in answer.results
        ],
        "in_library": answer.in_library,
        "closest": answer.closest,
    }


def _group_json(group: DuplicateGroup) -> dict[str, Any]:
    return {
        "paths": group.paths,
        **json_fields(group.keeper, "keeper"),
        "keeper_reason": group.keeper_reason,
        "distances": [m.distance for m in group.members],
        "tier": group.tier,
        "raw_jpeg_pair": group.raw_jpeg_pair,
        "members": [
            path_json(
                m.path,
                distance=m.distance,
                edit=m.edit,
                reference=m.reference,
                pair=m.pair,
                kept=m.kept,
            )
            for m in group.members
        ],
    }
