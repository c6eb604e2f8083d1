"""``twinlens cluster scan`` and ``twinlens import``: index on a Ray cluster, merge here.

``cluster scan`` needs the ``cluster`` extra (Ray and pyarrow); ``import`` needs pyarrow
only, and no Ray instance. Both say what is missing in one line instead of a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Generator
from typing import TypeVar

from twinlens.engine import (
    ClusterOptions,
    ClusterScanSummary,
    ImportSummary,
    Library,
    PathMap,
    Progress,
    TwinlensError,
    cluster_scan,
    default_library_path,
    import_shards,
    run_to_end,
    shown,
)

from .commands import EXIT_OK
from .output import ProgressBar, warn

T = TypeVar("T")


def scan(args: argparse.Namespace) -> int:
    _require("ray", "pyarrow")
    if args.files is None:
        if not args.paths:
            raise TwinlensError("name the folders to scan, or a file list with --files LIST")
        for path in args.paths:
            if not path.exists():
                raise TwinlensError(f"{shown(path)}: no such file or folder")
    elif not args.files.is_file():
        raise TwinlensError(f"{shown(args.files)}: no such file list")
    options = ClusterOptions(address=args.ray, num_cpus=args.cpus, encoders=args.encoders)
    job = cluster_scan(args.paths, args.out, options, file_list=args.files)
    _print_scan(_drive(job, "Cluster scan"))
    return EXIT_OK


def import_(args: argparse.Namespace) -> int:
    _require("pyarrow")
    maps = [PathMap.parse(text) for text in args.map or []]
    for folder in args.dirs:
        if not folder.is_dir():
            raise TwinlensError(f"{shown(folder)}: no such folder of shards")
    with Library(args.library or default_library_path(), create=True) as library:
        job = import_shards(library.store, library.model, args.dirs, maps)
        summary = _drive(job, "Importing")
        _print_import(summary)
    return EXIT_OK


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise TwinlensError(
            f"{' and '.join(missing)} not installed: pip install 'twinlens[cluster]'"
        )


def _print_scan(summary: ClusterScanSummary) -> None:
    where = f"{summary.cpus:g} CPUs, {summary.gpus:g} GPUs, {summary.encoders} encoder(s)"
    lines = [
        f"Files: {summary.listed} to index ({summary.already_done} already in"
        f" {shown(summary.out)}), {summary.indexed} indexed on {where}",
        f"Shards written: {len(summary.shards)}",
    ]
    lines += [f"Could not read: {count} {reason}" for reason, count in summary.errors.items()]
    if summary.cancelled:
        lines.append("Cancelled: run the same command again to resume.")
    lines.append(f"Next: twinlens import {shown(summary.out)}")
    warn("\n".join(lines))


def _print_import(summary: ImportSummary) -> None:
    lines = [
        f"Imported {summary.shards} shard(s), {summary.records} record(s): {summary.indexed}"
        f" indexed, {summary.failed} unreadable where scanned; {summary.written} file row(s)"
        f" written, {summary.new_codes} new code(s)",
    ]
    lines += [f"Folder:   {shown(root)}" for root in summary.roots]
    if summary.bad_shards:
        lines.append(f"Skipped {len(summary.bad_shards)} shard(s):")
        lines += [f"  {shown(path)}: {why}" for path, why in summary.bad_shards]
    if summary.bad:
        lines.append(f"Skipped {len(summary.bad)} bad record(s):")
        lines += [f"  {shown(b.shard)} row {b.row} ({b.path}): {b.why}" for b in summary.bad[:50]]
        if len(summary.bad) > 50:
            lines.append(f"  ... and {len(summary.bad) - 50} more")
    warn("\n".join(lines))


def _drive(job: Generator[Progress, None, T], label: str) -> T:
    """Run a job generator to its end, drawing its progress on stderr."""
    bar = ProgressBar(label)
    try:
        return run_to_end(job, bar.show)
    finally:
        bar.finish()
