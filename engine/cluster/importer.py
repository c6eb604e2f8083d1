"""``twinlens import``: merge a cluster scan's shards into a library, as if scanned here.

Every record is checked before it is merged (a bad record is reported and skipped, never
guessed at), paths can be remapped for an archive mounted elsewhere (``/mnt/nas`` on the
cluster, ``/Volumes/nas`` on the desktop), and shards encoded by another model are refused
before anything is written: codes of two models are never mixed in one library.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinlens.engine.errors import DecodeReason, TwinlensError
from twinlens.engine.media import compression
from twinlens.engine.media.signature import BLOCK, SIZE
from twinlens.engine.model.codes import words_for
from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.paths import from_bytes, shown, to_bytes
from twinlens.engine.progress import Progress
from twinlens.engine.storage.shards import MergeCounts, merge_records
from twinlens.engine.storage.store import ContentFacts, FailedFile, IndexedFile, Store, StoredCode

from .records import ERROR, FORMAT, INDEXED, ShardInfo
from .shards import read_info, read_shard, rows, shard_files

_HASH = re.compile(r"[0-9a-f]{32}")
_REASONS = frozenset(r.value for r in DecodeReason)
_COMPRESSIONS = frozenset(
    {None, compression.RAW, compression.LOSSLESS, compression.FROM_JPEG, compression.LOSSY,
     compression.PALETTE}
)  # fmt: skip
_SIGNATURE_BYTES = BLOCK * BLOCK * 2
_THUMB_BYTES = SIZE * SIZE


class ShardRefused(TwinlensError):
    """The shards cannot go into this library (another model's codes); nothing was written."""


@dataclass(frozen=True)
class PathMap:
    """``--map FROM=TO``: paths at or below FROM are read as the same path below TO."""

    source: bytes
    target: bytes

    @classmethod
    def parse(cls, text: str) -> PathMap:
        source, sep, target = text.partition("=")
        if not sep or not source or not target:
            raise TwinlensError(f"--map wants FROM=TO (two folders), got {shown(text)!r}")
        strip = os.sep.encode()
        return cls(to_bytes(source).rstrip(strip) or strip, to_bytes(target).rstrip(strip) or strip)

    def apply(self, path: bytes) -> bytes | None:
        """The mapped path, or None when ``path`` is not below ``source``."""
        sep = os.sep.encode()
        if path == self.source:
            return self.target
        prefix = self.source if self.source.endswith(sep) else self.source + sep
        if path.startswith(prefix):
            return self.target.rstrip(sep) + sep + path[len(prefix) :]
        return None


def map_path(path: bytes, maps: Sequence[PathMap]) -> bytes:
    """The first mapping that applies (the most specific first), else ``path`` itself."""
    for mapping in sorted(maps, key=lambda m: -len(m.source)):
        mapped = mapping.apply(path)
        if mapped is not None:
            return mapped
    return path


@dataclass(frozen=True)
class BadRecord:
    shard: str
    row: int
    path: str
    why: str


@dataclass
class ImportSummary:
    """What an import did; ``bad`` lists records that were skipped, with why."""

    shards: int = 0
    records: int = 0
    indexed: int = 0
    failed: int = 0
    """Records of files that could not be read where they were scanned (stored as errors)."""
    written: int = 0
    """File rows new or changed in the library (0 when the same shards are imported again)."""
    new_contents: int = 0
    new_codes: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    bad_shards: list[tuple[str, str]] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)


def import_shards(
    store: Store, meta: ModelMeta, folders: Iterable[Path], maps: Sequence[PathMap] = ()
) -> Generator[Progress, None, ImportSummary]:
    """Merge every shard in ``folders`` into ``store``; yields Progress, returns the summary.

    Raises:
        ShardRefused: a shard's codes come from another model than ``meta`` (before writing).
        TwinlensError: a folder does not exist or holds no shard.
    """
    summary = ImportSummary()
    shards = _find(folders)
    infos: dict[Path, ShardInfo] = {}
    for shard in shards:
        try:
            infos[shard] = read_info(shard)
        except ValueError as exc:
            summary.bad_shards.append((str(shard), str(exc)))
    _refuse_other_models(infos, meta)
    good = [s for s in shards if s in infos and _usable(s, infos[s], summary)]
    progress = Progress("importing", total=len(good))
    yield progress
    counts = MergeCounts()
    roots: set[bytes] = set()
    for shard in good:
        try:
            info, table = read_shard(shard)
        except ValueError as exc:
            summary.bad_shards.append((str(shard), str(exc)))
            continue
        roots.update(map_path(r, maps) for r in info.roots)
        offset = 0
        for chunk in rows(table):
            counts.add(_merge_chunk(store, meta, shard, chunk, offset, maps, summary))
            offset += len(chunk)
        summary.shards += 1
        progress.done += 1
        progress.current = str(shard)
        yield progress
    new_roots = sorted(roots - {to_bytes(r) for r in store.roots()})
    store.add_roots(Path(from_bytes(r)) for r in new_roots)
    summary.roots = [from_bytes(r) for r in sorted(roots)]
    summary.written, summary.new_contents, summary.new_codes = (
        counts.files,
        counts.contents,
        counts.codes,
    )
    return summary


def _find(folders: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise TwinlensError(f"{shown(folder)}: no such folder of shards")
        shards = shard_files(folder)
        if not shards:
            raise TwinlensError(f"{shown(folder)} holds no shard (*.parquet) to import")
        found += shards
    return found


def _refuse_other_models(infos: dict[Path, ShardInfo], meta: ModelMeta) -> None:
    others = {shard: info.model for shard, info in infos.items() if info.model != meta.key}
    if not others:
        return
    models = ", ".join(sorted(set(others.values())))
    first = shown(next(iter(others)))
    raise ShardRefused(
        f"{len(others)} shard(s) (first: {first}) hold codes of the model {models}, but this"
        f" library uses {meta.key}; nothing was imported. Import them into a library of that"
        " model (TWINLENS_MODEL=its file), or run the cluster scan again with this model"
    )


def _usable(shard: Path, info: ShardInfo, summary: ImportSummary) -> bool:
    if info.format != FORMAT:
        why = f"record format {info.format!r}; this Twinlens reads {FORMAT!r}"
        summary.bad_shards.append((str(shard), why))
        return False
    return True


def _merge_chunk(
    store: Store,
    meta: ModelMeta,
    shard: Path,
    chunk: list[dict[str, Any]],
    offset: int,
    maps: Sequence[PathMap],
    summary: ImportSummary,
) -> MergeCounts:
    files: list[IndexedFile] = []
    facts: dict[str, ContentFacts] = {}
    codes: list[StoredCode] = []
    errors: list[FailedFile] = []
    for index, record in enumerate(chunk, offset):
        summary.records += 1
        why = _problem(record, meta)
        if why is not None:
            raw = record.get("path")
            label = shown(from_bytes(raw)) if isinstance(raw, bytes) else "?"
            summary.bad.append(BadRecord(str(shard), index, label, why))
            continue
        path = from_bytes(map_path(record["path"], maps))
        size, mtime = int(record["size"]), int(record["mtime_ns"])
        if record["status"] == ERROR:
            errors.append((path, size, mtime, record["reason"], record["detail"] or ""))
            summary.failed += 1
            continue
        content = record["hash"]
        files.append((path, size, mtime, content))
        facts[content] = ContentFacts(
            content,
            int(record["width"]),
            int(record["height"]),
            record["format"] or "",
            record["camera"] or "",
            record["taken_at"] or "",
            record["signature"],
            record.get("thumb"),
            record.get("saturation"),
            record.get("quality"),
            record.get("trim_signature"),
            record.get("compression"),
        )
        codes += [
            (content, meta.key, kind, code)
            for kind, code in zip(record["code_kinds"], record["codes"], strict=True)
        ]
        summary.indexed += 1
    return merge_records(store, files, list(facts.values()), codes, errors)


def _problem(record: dict[str, Any], meta: ModelMeta) -> str | None:
    """Why a record cannot be merged, or None when it is sound."""
    path = record.get("path")
    if not isinstance(path, bytes) or not os.path.isabs(path):
        return "no absolute path"
    for name in ("size", "mtime_ns"):
        value = record.get(name)
        if not isinstance(value, int) or value < 0:
            return f"{name} is missing or negative"
    status = record.get("status")
    if status == ERROR:
        return None if record.get("reason") in _REASONS else "an error without a known reason"
    if status != INDEXED:
        return f"unknown status {status!r}"
    if not isinstance(record.get("hash"), str) or not _HASH.fullmatch(record["hash"]):
        return "no content hash"
    if record.get("model") != meta.key:
        return f"codes of the model {record.get('model')!r}, not {meta.key}"
    kinds, codes = record.get("code_kinds") or [], record.get("codes") or []
    if sorted(kinds) != sorted(meta.code_kinds) or len(kinds) != len(codes):
        return f"codes of kinds {kinds}, expected {list(meta.code_kinds)}"
    for kind, code in zip(kinds, codes, strict=True):
        bits = meta.code(kind).bits
        if not isinstance(code, bytes) or len(code) != words_for(bits) * 8:
            return f"a {kind} code that is not {bits} bits"
    signature = record.get("signature")
    if not isinstance(signature, bytes) or len(signature) != _SIGNATURE_BYTES:
        return "no pixel signature"
    trimmed = record.get("trim_signature")
    if trimmed is not None and (not isinstance(trimmed, bytes) or len(trimmed) != _SIGNATURE_BYTES):
        return "a trimmed signature of the wrong size"
    if record.get("compression") not in _COMPRESSIONS:
        return f"an unknown compression class {record.get('compression')!r}"
    thumb = record.get("thumb")
    if thumb is not None and (not isinstance(thumb, bytes) or len(thumb) != _THUMB_BYTES):
        return "a verification thumbnail of the wrong size"
    for name in ("width", "height"):
        value = record.get(name)
        if not isinstance(value, int) or value <= 0:
            return f"no {name}"
    return None
