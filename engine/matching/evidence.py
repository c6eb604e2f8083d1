"""The pixels verification reads from disk: grey decodes and thumbnails made on demand.

Only candidate pairs that the stored facts cannot settle get here, so a second ``dupes``
decodes nothing (verdicts are cached) and an old library gains thumbnails only where needed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PIL import Image

from twinlens.engine.errors import DecodeError
from twinlens.engine.media.decode import decode_photo
from twinlens.engine.media.signature import SIZE, thumbnail, thumbnail_blob

from .content import Candidate
from .pixels import MAX_SIDE
from .verify import Picture

log = logging.getLogger(__name__)


def load_grey(picture: Picture) -> np.ndarray | None:
    """The first readable file of ``picture`` in grey, at most 1024 px on its longer side."""
    for path in picture.paths:
        try:
            return grey_of_image(decode_photo(path, min_size=MAX_SIDE, max_side=MAX_SIDE).image)
        except DecodeError:
            continue
    return None


def grey_of_image(image: Image.Image) -> np.ndarray:
    """An image in memory in grey, at most 1024 px on its longer side."""
    grey = image.convert("L")
    grey.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(grey, dtype=np.uint8)


def grey_of_data(data: bytes) -> np.ndarray | None:
    """Image bytes (dropped, pasted) in grey, or None when they cannot be decoded."""
    try:
        return grey_of_image(
            decode_photo("pasted image", min_size=MAX_SIDE, data=data, max_side=MAX_SIDE).image
        )
    except DecodeError:
        return None


def make_thumb(candidate: Candidate) -> bytes | None:
    """The verification thumbnail of a content indexed before thumbnails were stored."""
    for path in candidate.paths:
        try:
            return thumbnail_blob(thumbnail(decode_photo(path, min_size=SIZE * 8).image))
        except DecodeError as exc:
            log.info("no thumbnail for %s: %s", path, exc.reason.value)
    return None


def thumb_array(blobs: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 32, 32) uint8 thumbnails and which of them exist."""
    out = np.zeros((len(blobs), SIZE, SIZE), dtype=np.uint8)
    has = np.zeros(len(blobs), dtype=bool)
    for index, blob in enumerate(blobs):
        if blob is not None:
            out[index] = np.frombuffer(blob, dtype=np.uint8).reshape(SIZE, SIZE)
            has[index] = True
    return out, has
