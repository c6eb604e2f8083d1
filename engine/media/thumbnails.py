"""Thumbnail JPEG bytes for the app's grids, cached on disk by content (no Qt here).

A thumbnail is keyed by the photo's content hash (when the library knows it) and its size
bucket, so renaming or moving a photo keeps its thumbnail and byte copies share one. Files the
library has not hashed yet are keyed by path, size and modification time instead. Sizes are
snapped to a few buckets so a zoom slider does not fill the cache with near-identical files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from pathlib import Path

from twinlens.engine.config import default_cache_dir

from .decode import decode_photo

BUCKETS = (128, 256, 512, 1024, 2048)
"""Longest side of the stored thumbnails; a request is served by the next bucket up."""
_DISK_CACHED_UP_TO = 512
"""Larger previews (the compare view) are made on demand: caching them costs too much disk."""
_QUALITY = 85


def bucket(size: int) -> int:
    """The stored size that serves a request for ``size`` pixels."""
    for candidate in BUCKETS:
        if size <= candidate:
            return candidate
    return BUCKETS[-1]


class Thumbnails:
    """Makes and caches thumbnails. Safe to call from many threads at once."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = (folder or default_cache_dir()) / "thumbnails"

    def get(self, path: str | Path, size: int, content: str | None = None) -> bytes:
        """JPEG bytes of ``path`` upright, longest side at most ``bucket(size)``.

        Raises:
            DecodeError: the photo cannot be read (its reason says why).
        """
        side = bucket(size)
        cached = self.cached(path, side, content)
        if cached is not None:
            return cached
        data = render(Path(path), side)
        if side <= _DISK_CACHED_UP_TO:
            self._store(self._file(path, side, content), data)
        return data

    def cached(self, path: str | Path, size: int, content: str | None = None) -> bytes | None:
        """The stored thumbnail, or None when it has not been made yet."""
        side = bucket(size)
        if side > _DISK_CACHED_UP_TO:
            return None
        try:
            return self._file(path, side, content).read_bytes()
        except OSError:
            return None

    def _file(self, path: str | Path, side: int, content: str | None) -> Path:
        key = content or _path_key(Path(path))
        return self.folder / str(side) / key[:2] / f"{key}.jpg"

    @staticmethod
    def _store(target: Path, data: bytes) -> None:
        """Write atomically: a reader never sees half a thumbnail, and a failure is harmless.

        A full or read-only cache only costs speed; a half-written ``.part`` file is removed.
        """
        temp: str | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, target)
        except OSError:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)


def render(path: Path, side: int) -> bytes:
    """Decode ``path`` (upright, RGB) and encode a JPEG whose longest side is at most ``side``."""
    decoded = decode_photo(path, min_size=side, max_side=side)
    image = decoded.image
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=_QUALITY)
    return out.getvalue()


def _path_key(path: Path) -> str:
    """Identity of a file the library has not hashed: where it is, how big, when changed."""
    try:
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    key = os.fsencode(path.resolve()) + b"|" + stamp.encode()  # exact bytes: any name works
    return "p" + hashlib.blake2b(key, digest_size=16).hexdigest()
