"""One distinct content of the library as matching sees it: its files and facts."""

from __future__ import annotations

from dataclasses import dataclass

from .verify import Picture


@dataclass(frozen=True)
class Candidate:
    """One distinct content (hash) and every file that holds it."""

    hash: str
    paths: tuple[str, ...]
    mtimes: tuple[int, ...]
    pixels: int
    width: int
    height: int
    camera: str
    taken_at: str
    signature: bytes | None = None
    """Pixel-structure signature (media/signature.py): candidates and global verification."""
    format: str = ""
    saturation: float | None = None
    quality: int = 0
    """JPEG quality estimated from the quantisation tables (0: not a JPEG, or unknown)."""
    trim_signature: bytes | None = None
    """Signature of the picture inside uniform bars or a frame (a letterboxed copy)."""
    compression: str = ""
    """raw, lossless, from_jpeg, lossy, palette (media/compression.py); "" when unknown."""

    @property
    def has_camera_metadata(self) -> bool:
        return bool(self.camera or self.taken_at)

    @property
    def picture(self) -> Picture:
        """What the verification ladder may look at."""
        return Picture(self.width, self.height, self.saturation, self.paths)
