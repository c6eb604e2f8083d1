"""Which files are photos, and how a file is identified.

A photo's identity is the hash of its bytes: a rename or a move keeps its code, and two byte
copies are recognised as the exact tier without looking at pixels. The walk follows no
symlinked folders (loops) and never stops for one unreadable folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

PHOTO_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
        ".gif",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
    }
)

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileStat:
    """What a cheap ``stat`` tells: enough to skip unchanged files without reading them."""

    path: Path
    size: int
    mtime_ns: int


def is_photo_name(path: Path | str) -> bool:
    return Path(path).suffix.lower() in PHOTO_EXTENSIONS


def stat_file(path: Path) -> FileStat:
    stat = path.stat()
    return FileStat(path, stat.st_size, stat.st_mtime_ns)


def walk_photos(
    roots: list[Path], on_error: Callable[[Path, OSError], None] | None = None
) -> Iterator[FileStat]:
    """Every photo file below ``roots`` (or a root that is itself a photo), sorted per folder."""
    for root in roots:
        if root.is_file():
            if is_photo_name(root):
                yield stat_file(root)
            continue
        for folder, dirnames, filenames in os.walk(root, onerror=_walk_error(on_error)):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(folder) / name
                if not is_photo_name(path) or name.startswith("._"):
                    continue
                try:
                    yield stat_file(path)  # follows links: a loop or a dangling one raises
                except OSError as exc:
                    if on_error is not None:
                        on_error(path, exc)


def _walk_error(
    on_error: Callable[[Path, OSError], None] | None,
) -> Callable[[OSError], None]:
    def handle(exc: OSError) -> None:
        if on_error is not None:
            on_error(Path(exc.filename or ""), exc)

    return handle


def is_under(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` is ``root`` or lies below it (by path, without touching the disk)."""
    try:
        Path(path).relative_to(root)
    except ValueError:
        return False
    return True


def content_hash(path: Path) -> str:
    """BLAKE2b-128 of the file's bytes, hex: the photo's identity."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
