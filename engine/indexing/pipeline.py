"""The one way a photo becomes codes: read, hash, decode, signature, preprocess, infer.

Scan, watch, search by example and ``encode`` all go through here, so a second code per
photo, a new decoder or a new signature lands in one place. Decoding (Pillow releases the
GIL) runs on a thread pool while onnxruntime encodes the previous batch, inside a bounded
window, so memory stays flat however many files pass.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Container, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from twinlens.engine.config import EngineConfig
from twinlens.engine.errors import DecodeError, DecodeReason
from twinlens.engine.media.decode import DecodedPhoto, PhotoInfo, decode_photo
from twinlens.engine.media.files import FileStat, content_hash, hash_bytes
from twinlens.engine.media.signature import (
    content_box,
    saturation,
    signature,
    signature_of,
    thumbnail,
    thumbnail_blob,
    to_blob,
)
from twinlens.engine.model.encoder import Encoder
from twinlens.engine.model.preprocess import to_array
from twinlens.engine.paths import shown
from twinlens.engine.progress import CancelToken
from twinlens.engine.storage.store import ContentFacts

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """One photo after a single read: its identity, its facts and the model's input."""

    path: str
    size: int = 0
    mtime_ns: int = 0
    hash: str | None = None
    facts: ContentFacts | None = None
    """None when the content was already known (nothing was decoded)."""
    pixels: np.ndarray | None = None
    error: DecodeError | None = None
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    """Packed codes by kind, once encoded (empty for known or failed content)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.hash is not None


class Pipeline:
    """Turns files, bytes or decoded images into Prepared photos with their codes."""

    def __init__(self, encoder: Encoder, config: EngineConfig) -> None:
        self.encoder = encoder
        self.config = config

    # -- one photo -------------------------------------------------------------------------

    def prepare(self, stat: FileStat, known: Container[str] = ()) -> Prepared:
        """Read once, hash, and decode only content that is not ``known`` (already coded)."""
        prepared = Prepared(str(stat.path), stat.size, stat.mtime_ns)
        try:
            data = self._read(stat)
            prepared.hash = hash_bytes(data) if data is not None else content_hash(stat.path)
            if prepared.hash not in known:
                self._decode(prepared, data)
        except DecodeError as exc:
            prepared.error = exc
        except FileNotFoundError:
            prepared.error = DecodeError(stat.path, DecodeReason.VANISHED, "deleted while scanning")
        except OSError as exc:
            prepared.error = DecodeError(stat.path, DecodeReason.UNREADABLE, str(exc))
        except Exception as exc:  # one bad photo never stops a scan, whatever it trips
            log.warning("could not index %s", shown(stat.path), exc_info=True)
            detail = f"could not be processed ({type(exc).__name__}: {exc})"[:300]
            prepared.error = DecodeError(stat.path, DecodeReason.CORRUPT, detail)
        return prepared

    def prepare_data(self, data: bytes, label: str) -> Prepared:
        """Image bytes that are no file of the library (dropped, pasted): never stored.

        Raises:
            DecodeError: the data is not an image Twinlens can read.
        """
        prepared = Prepared(label, len(data), 0, hash_bytes(data))
        self._decode(prepared, data)
        return prepared

    def prepare_image(self, image: Image.Image, label: str) -> Prepared:
        """An image already decoded in memory (no bytes, so no content hash)."""
        prepared = Prepared(label)
        rgb = image.convert("RGB")
        width, height = rgb.size
        decoded = DecodedPhoto(rgb, PhotoInfo(width, height, "", "", ""))
        prepared.facts = _facts("", decoded)
        prepared.pixels = to_array(rgb, self.encoder.meta.preprocess)
        return prepared

    def prepare_path(self, path: Path) -> Prepared:
        """A single named file (search by example, ``encode``); raises its DecodeError."""
        info = path.stat()
        prepared = self.prepare(FileStat(path, info.st_size, info.st_mtime_ns))
        if prepared.error is not None:
            raise prepared.error
        return prepared

    # -- many photos -----------------------------------------------------------------------

    def encode(self, batch: list[Prepared]) -> None:
        """Fill ``codes`` of every decoded photo of ``batch`` (byte copies encoded once)."""
        todo: dict[str, list[Prepared]] = {}
        for prepared in batch:
            if prepared.pixels is not None:
                todo.setdefault(prepared.hash or f"#{id(prepared)}", []).append(prepared)
        if not todo:
            return
        firsts = [group[0] for group in todo.values()]
        encoded = self.encoder.encode_array(np.stack([p.pixels for p in firsts]))  # type: ignore[misc]
        for index, group in enumerate(todo.values()):
            codes = {kind: words[index] for kind, words in encoded.codes.items()}
            for prepared in group:
                prepared.codes = codes

    @property
    def window(self) -> int:
        """Photos read and decoded ahead of the encoder at most: two batches keep the decode
        threads busy while one batch is encoded, and bound memory however many files pass."""
        return self.config.batch_size * 2

    def run(
        self,
        stats: Iterable[FileStat],
        known: Container[str] = (),
        cancel: CancelToken | None = None,
    ) -> Iterator[list[Prepared]]:
        """Prepared and encoded photos in batches of ``config.batch_size``, in input order."""
        batch_size = self.config.batch_size
        window = self.window
        pending: deque[Future[Prepared]] = deque()
        batch: list[Prepared] = []
        items = iter(stats)
        with ThreadPoolExecutor(self.config.workers, thread_name_prefix="twinlens-decode") as pool:
            while True:
                while len(pending) < window and not (cancel and cancel.cancelled):
                    stat = next(items, None)
                    if stat is None:
                        break
                    pending.append(pool.submit(self.prepare, stat, known))
                if not pending:
                    break
                batch.append(pending.popleft().result())
                if len(batch) >= batch_size or not pending:
                    self.encode(batch)
                    yield batch
                    batch = []
            for future in pending:
                future.cancel()

    # -- steps -----------------------------------------------------------------------------

    def _read(self, stat: FileStat) -> bytes | None:
        """The whole file for files up to the limit (hash and decode from one read)."""
        if stat.size > self.config.read_whole_limit:
            return None
        with stat.path.open("rb") as handle:
            return handle.read()

    def _decode(self, prepared: Prepared, data: bytes | None) -> None:
        limits = self.config.decode
        decoded = decode_photo(
            prepared.path,
            min_size=self.encoder.meta.preprocess.height,
            data=data,
            max_pixels=limits.max_pixels,
            memory_budget=limits.memory_budget,
            max_side=limits.working_side,
        )
        prepared.facts = _facts(prepared.hash or "", decoded)
        prepared.pixels = to_array(decoded.image, self.encoder.meta.preprocess)


def _facts(content: str, decoded: DecodedPhoto) -> ContentFacts:
    info = decoded.info
    thumb = thumbnail(decoded.image)
    box = content_box(decoded.image)
    trimmed = to_blob(signature(decoded.image.crop(box))) if box else None
    return ContentFacts(
        content,
        info.width,
        info.height,
        info.format,
        info.camera,
        info.taken_at,
        to_blob(signature_of(thumb)),
        thumbnail_blob(thumb),
        saturation(decoded.image),
        info.quality,
        trimmed,
        info.compression,
    )
