"""What runs on the Ray workers: listing, the engine's Pipeline, and the encoder actor.

Nothing here is a second implementation: files are listed by ``walk_photos``, read, hashed,
decoded, signed and preprocessed by ``Pipeline.prepare`` on CPU workers, and encoded by
``Pipeline.encode`` (the same ``Encoder`` over the same ONNX file) in an actor, so a record
from the cluster is the record a local scan would have stored.

The model's bytes travel once through Ray's object store and are written to each worker's
temporary folder, so every node encodes with exactly the driver's model file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twinlens.engine.config import EngineConfig
from twinlens.engine.errors import DecodeReason, ModelError
from twinlens.engine.indexing.pipeline import Pipeline, Prepared
from twinlens.engine.media.files import FileStat, walk_photos
from twinlens.engine.model.codes import to_blob
from twinlens.engine.model.encoder import Encoder
from twinlens.engine.paths import from_bytes, to_bytes

from .records import ShardInfo, error_record, record_of, schema

if TYPE_CHECKING:
    import pyarrow as pa

PIXELS = "pixels"
"""Column carrying the preprocessed model input from the CPU stage to the encoder."""

_PIPELINES: dict[tuple[str, bool, int], Pipeline] = {}
"""One Pipeline per worker process: Ray reuses processes across tasks."""

Done = frozenset[tuple[bytes, int, int]]


def model_file(model: bytes) -> Path:
    """The model's bytes as a file on this worker (written once, named by their hash)."""
    digest = hashlib.blake2b(model, digest_size=16).hexdigest()
    path = Path(tempfile.gettempdir()) / f"twinlens-model-{digest}.onnx"
    if not path.is_file():
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(model)
        partial.replace(path)
    return path


def pipeline_for(model: bytes, config: EngineConfig, gpu: bool, threads: int) -> Pipeline:
    key = (hashlib.blake2b(model, digest_size=16).hexdigest(), gpu, threads)
    if key not in _PIPELINES:
        encoder = Encoder(model_file(model), threads, cpu_only=not gpu)
        _PIPELINES[key] = Pipeline(encoder, config)
    return _PIPELINES[key]


# -- listing -----------------------------------------------------------------------------


def list_root(row: dict[str, Any], done: Done) -> Iterator[dict[str, Any]]:
    """Every photo below one root not yet in the shards, and what could not be listed."""
    errors: list[dict[str, Any]] = []

    def on_error(path: Path, exc: OSError) -> None:
        reason = DecodeReason.VANISHED if isinstance(exc, FileNotFoundError) else None
        detail = "permission denied" if isinstance(exc, PermissionError) else str(exc)
        errors.append(
            error_record(to_bytes(path), 0, 0, (reason or DecodeReason.UNREADABLE).value, detail)
        )

    for stat in walk_photos([Path(from_bytes(row["root"]))], on_error):
        key = (to_bytes(stat.path), stat.size, stat.mtime_ns)
        if key not in done:
            yield _listed(*key)
    yield from (e for e in errors if (e["path"], 0, 0) not in done)


def list_names(row: dict[str, Any], done: Done) -> Iterator[dict[str, Any]]:
    """The files named in a file list (one path a line, exact bytes), stat'ed here."""
    for line in bytes(row["bytes"]).splitlines():
        raw = line.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            info = os.lstat(raw)
        except OSError as exc:
            reason = DecodeReason.VANISHED if isinstance(exc, FileNotFoundError) else None
            detail = "listed, but not found" if reason else str(exc)
            reason_text = (reason or DecodeReason.UNREADABLE).value
            if (raw, 0, 0) not in done:
                yield error_record(raw, 0, 0, reason_text, detail)
            continue
        if (raw, info.st_size, info.st_mtime_ns) not in done:
            yield _listed(raw, info.st_size, info.st_mtime_ns)


def _listed(path: bytes, size: int, mtime_ns: int) -> dict[str, Any]:
    return {"path": path, "size": size, "mtime_ns": mtime_ns, "reason": None, "detail": None}


# -- the CPU stage: read, hash, decode, signature, preprocess ----------------------------


def prepare_batch(batch: pa.Table, model: bytes, config: EngineConfig, info: ShardInfo) -> pa.Table:
    """``Pipeline.prepare`` over one batch of listed files; a failure is a record, not a crash."""
    import pyarrow as pa

    pipeline = pipeline_for(model, config, gpu=False, threads=1)
    out = []
    for row in batch.to_pylist():
        if row["reason"] is not None:  # the listing already failed for this one
            record = error_record(row["path"], 0, 0, row["reason"], row["detail"] or "")
            out.append({**record, PIXELS: None})
            continue
        stat = FileStat(Path(from_bytes(row["path"])), row["size"], row["mtime_ns"])
        prepared = pipeline.prepare(stat)
        record = record_of(prepared, info.model)
        pixels = prepared.pixels
        out.append({**record, PIXELS: None if pixels is None else pixels.tobytes()})
    return pa.Table.from_pylist(out, schema=_with_pixels(info))


def _with_pixels(info: ShardInfo) -> pa.Schema:
    import pyarrow as pa

    return schema(info).append(pa.field(PIXELS, pa.binary()))


# -- the encoder actor: CUDA on GPU nodes, the CPU elsewhere ------------------------------


class EncodeActor:
    """Holds one onnxruntime session for its lifetime and encodes prepared batches."""

    def __init__(
        self, model: bytes, config: EngineConfig, info: ShardInfo, gpu: bool, threads: int
    ) -> None:
        self.pipeline = pipeline_for(model, config, gpu=gpu, threads=threads)
        self.info = info
        meta = self.pipeline.encoder.meta
        if meta.key != info.model:
            raise ModelError(f"worker model {meta.key} is not the driver's {info.model}")
        shape = meta.preprocess.input_size
        self.shape = (shape[0], shape[1], shape[2])

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        records = batch.to_pylist()
        prepared: list[tuple[dict[str, Any], Prepared]] = []
        for record in records:
            pixels = record.pop(PIXELS)
            if pixels is not None and record["status"] == "indexed":
                array = np.frombuffer(pixels, dtype=np.float32).reshape(self.shape)
                item = Prepared(from_bytes(record["path"]), hash=record["hash"], pixels=array)
                prepared.append((record, item))
        self.pipeline.encode([item for _, item in prepared])
        for record, item in prepared:
            kinds = sorted(item.codes)
            record["code_kinds"] = kinds
            record["codes"] = [to_blob(item.codes[k]) for k in kinds]
        return pa.Table.from_pylist(records, schema=schema(self.info))
