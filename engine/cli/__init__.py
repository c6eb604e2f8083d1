"""The ``twinlens`` command line: a thin layer over the engine's Library (a contract for scripts).

With a subcommand it runs headless and never imports Qt or torch. Errors are turned into one
clear line on stderr and exit status 2 here, and nowhere else in the engine.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from twinlens.engine import DEFAULT_ORDER, TwinlensError, shown

from . import cluster, commands
from .commands import EXIT_ERROR, EXIT_OK
from .output import silence_stdout

__all__ = ["EXIT_ERROR", "EXIT_OK", "main"]

EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="twinlens: %(message)s")
    _safe_streams()
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.handler(args))
    except TwinlensError as exc:
        print(f"twinlens: {shown(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("twinlens: interrupted; what was indexed so far is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `twinlens info | head -1`: the reader has what it wanted
        silence_stdout()
        return EXIT_BROKEN_PIPE


def _safe_streams() -> None:
    """Never die of an unencodable character: a terminal that cannot show one gets \\xNN."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def removal_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument(
        "--from-dupes",
        metavar="FILE",
        type=Path,
        help="the extra copies of every group of a `twinlens dupes --json` file",
    )
    p.add_argument(
        "--tier",
        metavar="TIER,...",
        help="with --from-dupes: only these tiers (exact, same_photo, edited_copy)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twinlens",
        description="Find duplicate, near-duplicate and similar photos.",
    )
    sub = parser.add_subparsers(dest="command")

    def command(
        name: str, help_text: str, handler: object, library: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        if library:
            p.add_argument(
                "--library",
                type=Path,
                default=None,
                help="library file (default: $TWINLENS_LIBRARY or one in your data folder)",
            )
        return p

    def json_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    scan = command("scan", "Add folders to the library and index them.", commands.scan)
    scan.add_argument("paths", nargs="+", type=Path, metavar="FOLDER")

    dupes = command("dupes", "Print the library's duplicate groups.", commands.dupes)
    dupes.add_argument("paths", nargs="*", type=Path, metavar="FOLDER")
    json_option(dupes)
    dupes.add_argument(
        "--similar", action="store_true", help="also list similar shots, in their own tier"
    )
    dupes.add_argument(
        "--prefer",
        metavar="CRITERION,...",
        help="keeper criteria in order, the others off; remembered in the library. From: "
        + ", ".join(DEFAULT_ORDER)
        + "; 'default' restores all six",
    )

    similar = command("similar", "Nearest library photos to an image.", commands.similar)
    similar.add_argument("image", type=Path, metavar="IMAGE")
    similar.add_argument("--top", type=_positive, default=10, metavar="K")
    json_option(similar)

    info = command("info", "Counts, errors and the model in use.", commands.info)
    json_option(info)

    trash = command(
        "trash", "Move duplicate photos to the system trash (never the last copy).", commands.trash
    )
    removal_options(trash)
    move = command(
        "move",
        "Move duplicate photos into a folder, keeping their paths (never the last copy).",
        commands.move,
    )
    move.add_argument(
        "--to", required=True, type=Path, metavar="FOLDER", help="a folder outside the library"
    )
    removal_options(move)

    reference = command(
        "reference",
        "Folders whose photos are always kept: add, remove or list them.",
        commands.reference,
    )
    reference.add_argument("action", choices=("add", "remove", "list"))
    reference.add_argument("folder", nargs="?", type=Path, metavar="FOLDER")

    settings = command("settings", "List the library's settings, or change one.", commands.settings)
    settings.add_argument("key", nargs="?", metavar="KEY")
    settings.add_argument("value", nargs="?", metavar="VALUE")

    export = command("export", "Write the duplicate groups to a CSV or JSON file.", commands.export)
    export.add_argument("file", type=Path, metavar="FILE", help="FILE.csv, FILE.json, or -")
    export.add_argument("--format", choices=("csv", "json"), help="default: from the name")
    export.add_argument("--similar", action="store_true", help="include similar shots")
    export.add_argument("--force", action="store_true", help="replace an existing file")

    command("undo", "Restore the files of the last removal.", commands.undo)
    command("watch", "Follow the library's folders and index changes.", commands.watch)

    rebuild = command(
        "rebuild",
        "Replace a damaged library: keep it aside, rescan its folders into a new one.",
        commands.rebuild,
    )
    rebuild.add_argument("paths", nargs="*", type=Path, metavar="FOLDER")

    cluster_cmd = sub.add_parser(
        "cluster",
        help="Index an archive on a Ray cluster (pip install 'twinlens[cluster]').",
        description="Index an archive on a Ray cluster into Parquet shards (docs/scale.md).",
    )
    cluster_sub = cluster_cmd.add_subparsers(dest="cluster_command", required=True)
    cluster_scan = cluster_sub.add_parser(
        "scan",
        help="Index folders (or a file list) on Ray workers into shards in --out.",
        description="Index folders (or a file list) on Ray workers into shards in --out;"
        " a rerun skips what --out already holds. `twinlens import DIR` merges them.",
    )
    cluster_scan.set_defaults(handler=cluster.scan)
    cluster_scan.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    cluster_scan.add_argument("--out", type=Path, required=True, metavar="DIR")
    cluster_scan.add_argument(
        "--ray", default=None, metavar="ADDRESS", help="a running cluster (default: a local one)"
    )
    cluster_scan.add_argument(
        "--files", type=Path, default=None, metavar="LIST", help="one path a line, not folders"
    )
    cluster_scan.add_argument(
        "--cpus", type=_positive, default=None, help="CPUs of the local instance (default: all)"
    )
    cluster_scan.add_argument(
        "--encoders", type=_positive, default=None, help="encoder actors (default: per GPU)"
    )

    merge = command("import", "Merge a cluster scan's shards into the library.", cluster.import_)
    merge.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    merge.add_argument(
        "--map",
        action="append",
        metavar="FROM=TO",
        help="read paths below FROM as below TO (an archive mounted elsewhere); repeatable",
    )

    encode = command(
        "encode", "Print the code of each image (no library).", commands.encode, library=False
    )
    encode.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    json_option(encode)
    return parser
