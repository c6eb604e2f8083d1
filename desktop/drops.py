"""What a drop or a paste carries: folders to add, an image file to search with, or image data.

Browsers and other apps hand over either file URLs or the picture itself; this reads Qt's
QMimeData and says which, so the window treats drag-and-drop and the clipboard alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMimeData
from PySide6.QtGui import QImage

from twinlens.engine import is_photo_name

_RAW_FORMATS = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff")


@dataclass
class Dropped:
    folders: list[Path] = field(default_factory=list)
    image_file: Path | None = None
    image_data: bytes | None = None

    @property
    def empty(self) -> bool:
        return not (self.folders or self.image_file or self.image_data)


def read_mime(mime: QMimeData) -> Dropped:
    """Folders first (add them), else the first image file, else the image data itself."""
    dropped = Dropped()
    for url in mime.urls() if mime.hasUrls() else []:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.is_dir():
            dropped.folders.append(path)
        elif dropped.image_file is None and path.is_file() and is_photo_name(path):
            dropped.image_file = path
    if dropped.folders or dropped.image_file:
        return dropped
    dropped.image_data = _image_bytes(mime)
    return dropped


def _image_bytes(mime: QMimeData) -> bytes | None:
    """The encoded picture as sent (so an exact copy stays exact), else Qt's image as PNG."""
    for fmt in _RAW_FORMATS:
        if mime.hasFormat(fmt):
            data = bytes(mime.data(fmt).data())
            if data:
                return data
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            image.save(buffer, "PNG")  # type: ignore[call-overload]  # as above: str works
            return bytes(buffer.data().data())
    return None
