"""Loads thumbnails off the GUI thread into QPixmapCache, newest request first.

Its own small pool (two threads) keeps thumbnails from queueing behind a scan. Requests are a
bounded stack: when a person flings through 100,000 photos, the tiles they scrolled past are
dropped and the ones now on screen load first.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPainter, QPixmap, QPixmapCache

from twinlens.engine import DecodeError, Thumbnails

_MAX_PENDING = 300
_CACHE_KB = 256 * 1024


@dataclass(frozen=True)
class _Request:
    path: str
    content: str | None
    side: int
    identity: str  # what the pixels are cached under: the content hash, else path + version
    square: bool  # centred on a square transparent tile, so captions line up in a grid


class _Signals(QObject):
    # Paths travel as Python objects: a Qt string would drop the bytes of a name that is
    # not UTF-8 (issue 10).
    loaded = Signal(object, str, int, QImage)
    failed = Signal(object, str)


class _Loader(QRunnable):
    """Drains the provider's stack; several run side by side."""

    def __init__(self, provider: ThumbnailProvider) -> None:
        super().__init__()
        self.provider = provider

    def run(self) -> None:
        while (request := self.provider._next()) is not None:
            try:
                data = self.provider.thumbnails.get(request.path, request.side, request.content)
            except DecodeError as exc:
                self.provider._signals.failed.emit(request.path, exc.reason.value)
                continue
            except OSError as exc:
                self.provider._signals.failed.emit(request.path, f"unreadable: {exc}")
                continue
            image = QImage.fromData(data, "JPEG")  # type: ignore[arg-type]  # the stubs say bytes; str is what works
            if max(image.width(), image.height()) > request.side:
                # Scaled here, off the GUI thread, to the exact tile size it will be painted at.
                image = image.scaled(
                    request.side,
                    request.side,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            if request.square:
                image = _centred(image, request.side)
            key = _key(request.identity, request.side, request.square)
            self.provider._signals.loaded.emit(request.path, key, request.side, image)


class ThumbnailProvider(QObject):
    """Asks once, answers from the cache afterwards; emits ``ready(path)`` when a tile loaded."""

    ready = Signal(object)  # path
    failed = Signal(object, str)  # path, reason code

    def __init__(self, thumbnails: Thumbnails | None = None, threads: int = 2) -> None:
        super().__init__()
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), _CACHE_KB))
        self.thumbnails = thumbnails or Thumbnails()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._threads = threads
        self._lock = threading.Lock()
        self._stack: list[_Request] = []
        self._loaders = 0
        self._pending: set[tuple[str, int]] = set()
        self._broken: dict[str, str] = {}
        self._closed = False
        self._versions: dict[str, int] = {}
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)

    def pixmap(
        self, path: str, size: int, content: str | None = None, square: bool = False
    ) -> QPixmap | None:
        """The thumbnail at most ``size`` pixels on its longest side if it is loaded;
        otherwise None, and it is requested."""
        identity = content or _path_identity(path, self._versions.get(path, 0))
        found: QPixmap | None = QPixmapCache.find(_key(identity, size, square))  # type: ignore[call-overload]
        if found is not None and not found.isNull():
            return found
        if path not in self._broken:
            self._request(_Request(path, content, size, identity, square))
        return None

    def broken_reason(self, path: str) -> str | None:
        """Why this photo has no thumbnail, once a load failed."""
        return self._broken.get(path)

    def forget(self, path: str) -> None:
        """A file changed on disk: try it again (pixels are keyed by content, so new bytes
        load fresh; only files the library has not hashed are keyed by path)."""
        self._broken.pop(path, None)
        self._versions[path] = self._versions.get(path, 0) + 1

    def shutdown(self, msecs: int = 10_000) -> None:
        """Drop queued requests and wait for the loaders (on exit)."""
        with self._lock:
            self._closed = True
            self._stack.clear()
            self._pending.clear()
        self.pool.waitForDone(msecs)

    def _request(self, request: _Request) -> None:
        with self._lock:
            if self._closed or (request.path, request.side) in self._pending:
                return
            self._pending.add((request.path, request.side))
            self._stack.append(request)
            if len(self._stack) > _MAX_PENDING:
                stale = self._stack.pop(0)
                self._pending.discard((stale.path, stale.side))
            start = self._loaders < self._threads
            if start:
                self._loaders += 1
        if start:
            self.pool.start(_Loader(self))

    def _next(self) -> _Request | None:
        with self._lock:
            if self._stack:
                return self._stack.pop()
            self._loaders -= 1  # under the lock, so a new request always finds a loader
            return None

    @Slot(object, str, int, QImage)
    def _on_loaded(self, path: str, key: str, side: int, image: QImage) -> None:
        with self._lock:
            self._pending.discard((path, side))
        QPixmapCache.insert(key, QPixmap.fromImage(image))
        self.ready.emit(path)

    @Slot(object, str)
    def _on_failed(self, path: str, reason: str) -> None:
        with self._lock:
            self._pending = {p for p in self._pending if p[0] != path}
        self._broken[path] = reason
        self.failed.emit(path, reason)


def _path_identity(path: str, version: int) -> str:
    """A cache identity for a file not hashed yet: from the path's exact bytes (a Qt string
    key would merge two names that differ only in bytes that are not UTF-8)."""
    digest = hashlib.blake2b(os.fsencode(path), digest_size=12).hexdigest()
    return f"path:{digest}#{version}"


def _key(identity: str, side: int, square: bool) -> str:
    """Content hash where known (renames and copies share pixels), else the path."""
    return f"twinlens:{side}:{'sq' if square else 'fit'}:{identity}"


def _centred(image: QImage, side: int) -> QImage:
    """``image`` in the middle of a transparent ``side`` x ``side`` tile (worker thread)."""
    tile = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    tile.fill(Qt.GlobalColor.transparent)
    painter = QPainter(tile)
    painter.drawImage((side - image.width()) // 2, (side - image.height()) // 2, image)
    painter.end()
    return tile
