"""The ``twinlens`` command line: a thin layer over engine.library (a contract for scripts).

With a subcommand it runs headless and never imports Qt or torch. Errors are turned into one
clear line on stderr and a non-zero exit here, and nowhere else in the engine.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import DecodeError, TwinlensError
from .library import Library, bundled_samples, default_library_path
from .matching.groups import DuplicateGroup
from .model.codes import to_hex
from .progress import Progress, run_to_end

T = TypeVar("T")

EXIT_OK = 0
EXIT_ERROR = 2

TIER_WORDS = {
    "exact": "exact copies (identical files)",
    "same_photo": "same photo (resized, recompressed or converted)",
    "edited_copy": "edited copy (cropped, retouched or otherwise edited)",
    "similar_shot": "similar shots (not duplicates: another moment of the same scene)",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="twinlens: %(message)s")
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.handler(args))
    except TwinlensError as exc:
        print(f"twinlens: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("twinlens: interrupted; what was indexed so far is kept", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinlens",
        description="Find duplicate, near-duplicate and similar photos.",
    )
    sub = parser.add_subparsers(dest="command")

    def command(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    def library_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--library",
            type=Path,
            default=None,
            help="library file (default: $TWINLENS_LIBRARY or one in your data folder)",
        )

    scan = command("scan", "Add folders to the library and index them.", _cmd_scan)
    scan.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    library_option(scan)

    dupes = command("dupes", "Print the library's duplicate groups.", _cmd_dupes)
    dupes.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    library_option(dupes)
    dupes.add_argument("--json", action="store_true", help="one JSON object on stdout")
    dupes.add_argument(
        "--similar", action="store_true", help="also list similar shots, in their own tier"
    )

    similar = command("similar", "Nearest library photos to an image.", _cmd_similar)
    similar.add_argument("image", type=Path, metavar="IMAGE")
    library_option(similar)
    similar.add_argument("--top", type=int, default=10, metavar="K")
    similar.add_argument("--json", action="store_true", help="one JSON object on stdout")

    info = command("info", "Counts, errors and the model in use.", _cmd_info)
    library_option(info)
    info.add_argument("--json", action="store_true", help="one JSON object on stdout")

    trash = command(
        "trash", "Move duplicate photos to the system trash (never the last copy).", _cmd_trash
    )
    trash.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    library_option(trash)

    undo = command("undo", "Restore the files of the last removal.", _cmd_undo)
    library_option(undo)

    watch = command("watch", "Follow the library's folders and index changes.", _cmd_watch)
    library_option(watch)

    encode = command("encode", "Print the code of each image (no library).", _cmd_encode)
    encode.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    encode.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


# -- commands ---------------------------------------------------------------------------


def _cmd_scan(args: argparse.Namespace) -> int:
    _require_paths(args.paths)
    with _open(args) as library:
        roots = library.add_roots(args.paths)
        summary = _drive(library.scan(roots), "Indexing")
        _print_summary(summary)
    return EXIT_OK


def _cmd_dupes(args: argparse.Namespace) -> int:
    _require_paths(args.paths)
    with _open(args) as library:
        paths = list(args.paths)
        if not paths and not library.roots():
            paths = [bundled_samples()]
            print(f"No folder named: using the bundled sample library {paths[0]}", file=sys.stderr)
        if paths:
            roots = library.add_roots(paths)
            _drive(library.scan(roots), "Indexing")
        within = [Path(p) for p in paths] or None
        groups = library.duplicate_groups(within=within, include_similar=args.similar)
        errors = library.errors()
        if args.json:
            _print_json(
                {"groups": [_group_json(g) for g in groups], "errors": _errors_json(errors)}
            )
        else:
            _print_groups(groups, len(errors))
    return EXIT_OK


def _cmd_similar(args: argparse.Namespace) -> int:
    _require_paths([args.image])
    with _open(args) as library:
        matches = library.similar(args.image, top=args.top)
        if args.json:
            _print_json({"results": [{"path": m.path, "distance": m.distance} for m in matches]})
        else:
            for match in matches:
                print(f"{match.distance:3d}  {match.path}")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    with _open(args) as library:
        info = library.info()
        if args.json:
            _print_json(info.__dict__)
            return EXIT_OK
        print(f"Library:  {info.path}")
        print(f"Photos:   {info.photos} ({info.indexed} indexed)")
        print(f"Model:    {info.model} on {info.provider}")
        for root in info.roots:
            print(f"Folder:   {root}")
        for reason, count in info.errors.items():
            print(f"Errors:   {count} {reason}")
    return EXIT_OK


def _cmd_trash(args: argparse.Namespace) -> int:
    with _open(args) as library:
        receipt = library.trash(args.paths)
        for path in receipt.moved:
            print(f"moved to the trash: {path}")
        print("twinlens undo restores them.", file=sys.stderr)
    return EXIT_OK


def _cmd_undo(args: argparse.Namespace) -> int:
    with _open(args) as library:
        for path in library.undo():
            print(f"restored: {path}")
    return EXIT_OK


def _cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    with _open(args) as library:
        if not library.roots():
            raise TwinlensError("the library has no folders yet: twinlens scan PATH first")
        stop = threading.Event()

        def report(change: Any) -> None:
            for line in change.describe():
                print(line, flush=True)

        def request_stop(signum: int, frame: object) -> None:
            stop.set()

        # Ctrl+C and a service manager's SIGTERM both end the watch cleanly (the batch in
        # progress is written), even when the parent process started us with SIGINT ignored.
        stop_signals = [signal.SIGINT, signal.SIGTERM]
        previous = {sig: signal.signal(sig, request_stop) for sig in stop_signals}
        watcher = library.watch(report)
        print("Watching " + ", ".join(map(str, library.roots())) + " (Ctrl+C stops)", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            watcher.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return EXIT_OK


def _cmd_encode(args: argparse.Namespace) -> int:
    _require_paths(args.paths)
    from .library import encode_files
    from .model.encoder import Encoder

    encoder = Encoder()
    bits = encoder.meta.bits
    codes, errors = [], []
    for item in encode_files(encoder, args.paths):
        if item.error is not None:
            errors.append(_error_json(item.path, item.error))
            if not args.json:
                print(f"twinlens: {item.path}: {item.error.reason.value}", file=sys.stderr)
            continue
        assert item.code is not None
        hex_code = to_hex(item.code, bits)
        codes.append({"path": item.path, "code": hex_code, "bits": bits})
        if not args.json:
            print(f"{hex_code}  {item.path}")
    if args.json:
        _print_json({"codes": codes, "errors": errors})
    return EXIT_OK


# -- helpers ----------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> Library:
    return Library(args.library or default_library_path())


def _require_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise TwinlensError(f"{path}: no such file or folder")


def _drive(job: Generator[Progress, None, T], label: str) -> T:
    """Run a job generator to its end, drawing its progress on stderr."""
    bar = _ProgressBar(label)
    try:
        return run_to_end(job, bar.show)
    finally:
        bar.finish()


class _ProgressBar:
    """A one-line bar on a terminal; occasional plain lines when stderr is a file or pipe."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_percent = -10

    def show(self, progress: Progress) -> None:
        if progress.total is None:
            text = f"{self.label}: listing files... {progress.done}"
            percent = None
        else:
            percent = 100 * progress.done // max(1, progress.total)
            filled = percent // 4
            eta = f", {progress.eta:.0f}s left" if progress.eta is not None else ""
            text = (
                f"{self.label} [{'#' * filled}{'.' * (25 - filled)}] {progress.done}/"
                f"{progress.total} ({progress.rate:.1f}/s{eta})"
            )
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        elif percent is not None and percent >= self.last_percent + 10:
            self.last_percent = percent
            print(text, file=sys.stderr)

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _print_summary(summary: Any) -> None:
    lines = [
        f"Photos: {summary.seen} found, {summary.encoded} indexed, {summary.reused} known by"
        f" content, {summary.unchanged} unchanged, {summary.removed} removed",
    ]
    if summary.missing_roots:
        lines.append("Missing folders (kept as they were): " + ", ".join(summary.missing_roots))
    if summary.errors:
        lines.append(f"Could not read {len(summary.errors)} file(s):")
        lines += [f"  {e.reason}: {e.path} ({e.detail})" for e in summary.errors[:50]]
        if len(summary.errors) > 50:
            lines.append(f"  ... and {len(summary.errors) - 50} more (twinlens info)")
    if summary.cancelled:
        lines.append("Cancelled: run the same command again to resume.")
    print("\n".join(lines), file=sys.stderr)


def _print_groups(groups: list[DuplicateGroup], error_count: int) -> None:
    if not groups:
        print("No duplicates found.")
    for number, group in enumerate(groups, 1):
        print(
            f"Group {number}: {TIER_WORDS.get(group.tier, group.tier)}, {len(group.members)} files"
        )
        print(f"  keep  {group.keeper}  ({group.keeper_reason})")
        for member in group.members[1:]:
            print(f"        {member.path}  (distance {member.distance})")
    if error_count:
        print(f"{error_count} file(s) could not be read: see twinlens info", file=sys.stderr)


def _group_json(group: DuplicateGroup) -> dict[str, Any]:
    return {
        "paths": group.paths,
        "keeper": group.keeper,
        "keeper_reason": group.keeper_reason,
        "distances": [m.distance for m in group.members],
        "tier": group.tier,
    }


def _error_json(path: str, error: DecodeError) -> dict[str, str]:
    return {"path": path, "reason": error.reason.value, "detail": error.detail}


def _errors_json(errors: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"path": p, "reason": r, "detail": d} for p, r, d in errors]


def _print_json(payload: dict[str, Any]) -> None:
    json.dump(payload, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
