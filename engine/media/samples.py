"""The bundled sample library, as a person's own copy (never the installed files)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from twinlens.engine.config import EngineConfig, default_library_path

__all__ = ["bundled_samples"]


def bundled_samples(config: EngineConfig | None = None) -> Path:
    """The sample photo library, copied beside the default library on first use.

    A copy, not the packaged files: "move to trash" on a sample must never touch the install.
    When the packaged samples change (a newer Twinlens, recognised by a stamp of their names
    and sizes), the files that differ are copied again; nothing in the copy is deleted, and
    what a person removed from it stays removed until the samples change.
    """
    from importlib.resources import files

    packaged = Path(str(files("twinlens.resources").joinpath("samples")))
    stamp = _samples_stamp(packaged)
    copy = default_library_path(config).parent / "sample-photos"
    marker = copy / ".twinlens-samples"
    current = marker.read_text() if marker.is_file() else ""
    if not copy.is_dir():
        staging = copy.with_name(copy.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(packaged, staging)
        (staging / ".twinlens-samples").write_text(stamp)
        staging.replace(copy)
    elif current != stamp:
        _refresh_samples(packaged, copy)
        marker.write_text(stamp)
    return copy


def _refresh_samples(packaged: Path, copy: Path) -> None:
    """Copy again each packaged sample that is missing or differs (atomically, each)."""
    for source in packaged.rglob("*"):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        target = copy / source.relative_to(packaged)
        if target.is_file() and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)


def _samples_stamp(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return "\n".join(f"{p.relative_to(folder)} {p.stat().st_size}" for p in files)
