"""Shards made without Ray: the worker stages called in this process, as Ray would call them."""

from __future__ import annotations

from pathlib import Path

from twinlens.engine.cluster.records import FORMAT, ShardInfo, error_record
from twinlens.engine.cluster.shards import ShardWriter
from twinlens.engine.cluster.workers import EncodeActor, list_root, prepare_batch
from twinlens.engine.config import EngineConfig
from twinlens.engine.model.encoder import Encoder
from twinlens.engine.paths import to_bytes


def shard_info(model: Path, roots: list[Path]) -> ShardInfo:
    meta = Encoder(model, 1, cpu_only=True).meta
    return ShardInfo(FORMAT, meta.key, meta.bits, [to_bytes(r) for r in roots])


def make_shards(model: Path, root: Path, out: Path, per_shard: int = 4) -> list[Path]:
    """List, prepare, encode and write ``root`` into shards of ``per_shard`` records."""
    import pyarrow as pa

    config = EngineConfig()
    info = shard_info(model, [root])
    listed = list(list_root({"root": to_bytes(root)}, frozenset()))
    data = model.read_bytes()
    actor = EncodeActor(data, config, info, gpu=False, threads=1)
    writer = ShardWriter(out, info)
    written = []
    for start in range(0, len(listed), per_shard):
        part = pa.Table.from_pylist(listed[start : start + per_shard])
        shard = writer.write(actor(prepare_batch(part, data, config, info)))
        assert shard is not None
        written.append(shard)
    return written


def write_rows(out: Path, info: ShardInfo, rows: list[dict[str, object]]) -> Path:
    """A shard of hand-made rows (missing columns are null)."""
    import pyarrow as pa

    template = error_record(b"/x", 0, 0, "corrupt", "")
    table = pa.Table.from_pylist([{**template, **row} for row in rows])
    shard = ShardWriter(out, info).write(table)
    assert shard is not None
    return shard
