"""Which files are photos, and how a file is identified.

A photo's identity is the hash of its bytes: a rename or a move keeps its code, and two byte
copies are recognised as the exact tier without looking at pixels. The walk follows no
symbolic link, to a folder (loops) or to a file (a link is never a copy of its target, and
removing "the copy" would remove the target: issue 10), and never stops for one unreadable
folder.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_mode
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
        # Camera RAW (media/raw.py)
        ".cr2",
        ".cr3",
        ".nef",
        ".arw",
        ".dng",
        ".raf",
        ".orf",
        ".rw2",
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
    """Size and time of ``path`` itself (a link is not followed)."""
    info = path.lstat()
    return FileStat(path, info.st_size, info.st_mtime_ns)


OnError = Callable[[Path, OSError], None]
OnLink = Callable[[Path], None]


def walk_photos(
    roots: list[Path], on_error: OnError | None = None, on_link: OnLink | None = None
) -> Iterator[FileStat]:
    """Every photo file below ``roots`` (or a root that is itself a photo), sorted per folder.

    ``on_error`` hears of folders and files that cannot be listed; ``on_link`` of each
    symbolic link with a photo's name, which is skipped.
    """
    for root in roots:
        try:
            info = root.lstat()
        except OSError as exc:
            if on_error is not None:
                on_error(root, exc)
            continue
        if stat_mode.S_ISLNK(info.st_mode):
            if on_link is not None and is_photo_name(root):
                on_link(root)
        elif stat_mode.S_ISREG(info.st_mode):
            if is_photo_name(root):
                yield FileStat(root, info.st_size, info.st_mtime_ns)
        elif stat_mode.S_ISDIR(info.st_mode):
            yield from _walk_folder(root, on_error, on_link)


def _walk_folder(
    root: Path, on_error: OnError | None, on_link: OnLink | None
) -> Iterator[FileStat]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            if on_error is not None:
                on_error(folder, exc)
            continue
        below = []
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    if on_link is not None and is_photo_name(entry.name):
                        on_link(path)
                elif entry.is_dir(follow_symlinks=False):
                    below.append(path)
                elif is_photo_name(entry.name) and not entry.name.startswith("._"):
                    info = entry.stat(follow_symlinks=False)
                    if stat_mode.S_ISREG(info.st_mode):
                        yield FileStat(path, info.st_size, info.st_mtime_ns)
            except OSError as exc:
                if on_error is not None:
                    on_error(path, exc)
        stack.extend(reversed(below))  # depth first, folders in name order


def is_under(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` is ``root`` or lies below it (by path, without touching the disk)."""
    try:
        Path(path).relative_to(root)
    except ValueError:
        return False
    return True


def content_hash(path: Path) -> str:
    """BLAKE2b-128 of the file's bytes, hex: the photo's identity (streamed, any size)."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_bytes(data: bytes) -> str:
    """The same identity as :func:`content_hash` for bytes already in memory."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
