"""The shard record: one file as a cluster scan saw it, with exactly what a local scan stores.

A shard is a Parquet file of these rows. Its columns are the library's own facts: the file
(path as its exact bytes, size, mtime_ns), its status and error reason, its content hash, the
content's facts, pixel signature and verification thumbnail (``contents``) and its codes with
their model and kind (``codes``). The schema's metadata names the record format, the model
and the scanned roots, so ``twinlens import`` can refuse codes of another model before it
writes anything.

pyarrow is imported inside functions: the engine imports this module without the cluster
extra installed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twinlens.engine.indexing.pipeline import Prepared
from twinlens.engine.model.codes import to_blob
from twinlens.engine.paths import is_clean_text, shown, to_bytes

if TYPE_CHECKING:
    import pyarrow as pa

FORMAT = "twinlens-shard-1"
"""Written into every shard; a shard of another format is refused, never guessed at."""

META_FORMAT = b"twinlens.format"
META_MODEL = b"twinlens.model"
META_BITS = b"twinlens.bits"
META_ROOTS = b"twinlens.roots"

INDEXED = "indexed"
ERROR = "error"


@dataclass(frozen=True)
class ShardInfo:
    """What a shard's metadata says about all its records."""

    format: str
    model: str
    bits: int
    roots: list[bytes]


def schema(info: ShardInfo) -> pa.Schema:
    """The Arrow schema of a shard, with ``info`` in its metadata."""
    import pyarrow as pa

    fields = [
        ("path", pa.binary()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("hash", pa.string()),
        ("model", pa.string()),
        ("code_kinds", pa.list_(pa.string())),
        ("codes", pa.list_(pa.binary())),
        ("width", pa.int64()),
        ("height", pa.int64()),
        ("format", pa.string()),
        ("camera", pa.string()),
        ("taken_at", pa.string()),
        ("signature", pa.binary()),
        ("thumb", pa.binary()),
        ("saturation", pa.float64()),
        ("quality", pa.int64()),
        ("trim_signature", pa.binary()),
        ("compression", pa.string()),
    ]
    roots = [base64.b64encode(r).decode("ascii") for r in info.roots]
    metadata = {
        META_FORMAT: info.format.encode(),
        META_MODEL: info.model.encode(),
        META_BITS: str(info.bits).encode(),
        META_ROOTS: json.dumps(roots).encode(),
    }
    return pa.schema([pa.field(name, kind) for name, kind in fields], metadata=metadata)


def shard_info(metadata: dict[bytes, bytes] | None) -> ShardInfo:
    """Parse a shard's schema metadata; raises ValueError when it is not a Twinlens shard."""
    metadata = metadata or {}
    if META_FORMAT not in metadata:
        raise ValueError("not a Twinlens shard (no record format in its metadata)")
    roots = json.loads(metadata.get(META_ROOTS, b"[]").decode())
    return ShardInfo(
        format=metadata[META_FORMAT].decode(),
        model=metadata.get(META_MODEL, b"").decode(),
        bits=int(metadata.get(META_BITS, b"0").decode()),
        roots=[base64.b64decode(r) for r in roots],
    )


def record_of(prepared: Prepared, model: str) -> dict[str, Any]:
    """The shard row of one prepared (and encoded) photo: what ``Scanner._commit`` stores."""
    facts = prepared.facts
    row: dict[str, Any] = {
        "path": to_bytes(prepared.path),
        "size": prepared.size,
        "mtime_ns": prepared.mtime_ns,
        "status": INDEXED,
        "reason": None,
        "detail": None,
        "hash": prepared.hash,
        "model": model,
        "code_kinds": sorted(prepared.codes),
        "codes": [to_blob(prepared.codes[k]) for k in sorted(prepared.codes)],
        "width": facts.width if facts else None,
        "height": facts.height if facts else None,
        "format": _text(facts.format) if facts else None,
        "camera": _text(facts.camera) if facts else None,
        "taken_at": _text(facts.taken_at) if facts else None,
        "signature": facts.signature if facts else None,
        "thumb": facts.thumb if facts else None,
        "saturation": facts.saturation if facts else None,
        "quality": facts.quality if facts else None,
        "trim_signature": facts.trim_signature if facts else None,
        "compression": facts.compression if facts else None,
    }
    if prepared.error is not None:
        row.update(
            status=ERROR,
            reason=prepared.error.reason.value,
            detail=shown(prepared.error.detail),
            hash=None,
            code_kinds=[],
            codes=[],
        )
    return row


def error_record(path: bytes, size: int, mtime_ns: int, reason: str, detail: str) -> dict[str, Any]:
    """The row of a file that could not even be looked at (listing failed)."""
    return {
        "path": path,
        "size": size,
        "mtime_ns": mtime_ns,
        "status": ERROR,
        "reason": reason,
        "detail": shown(detail),
        "hash": None,
        "model": None,
        "code_kinds": [],
        "codes": [],
        "width": None,
        "height": None,
        "format": None,
        "camera": None,
        "taken_at": None,
        "signature": None,
        "thumb": None,
        "saturation": None,
        "quality": None,
        "trim_signature": None,
        "compression": None,
    }


def _text(value: str | None) -> str | None:
    """Arrow strings are UTF-8: a fact with undecodable bytes is kept readable, not lost."""
    return value if value is None or is_clean_text(value) else shown(value)
