"""Shard files on disk: written whole or not at all, and read back with what was already done.

A shard is first written as ``*.parquet.partial`` and renamed when complete, so a job killed
at any moment leaves only whole shards (and a partial file that is ignored and replaced). A
rerun reads the ``(path, size, mtime_ns)`` of every record in the folder and skips those
files: that is what makes ``twinlens cluster scan`` resumable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .records import ShardInfo, schema, shard_info

if TYPE_CHECKING:
    import pyarrow as pa

SUFFIX = ".parquet"
PARTIAL = ".partial"

FileKey = tuple[bytes, int, int]
"""(path bytes, size, mtime_ns): a file already recorded, skipped by a rerun."""


def shard_files(folder: Path) -> list[Path]:
    """The complete shards of ``folder``, in name order (partial files are not shards)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


class ShardWriter:
    """Writes records into new shard files of one scan run, each made visible atomically."""

    def __init__(self, folder: Path, info: ShardInfo) -> None:
        self.folder = folder
        self.schema = schema(info)
        self.run = uuid.uuid4().hex[:12]
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, table: pa.Table) -> Path | None:
        """One shard of ``table``'s rows (cast to the shard schema); None when it is empty."""
        import pyarrow.parquet as pq

        if table.num_rows == 0:
            return None
        table = table.select(self.schema.names).cast(self.schema)
        self.count += 1
        final = self.folder / f"shard-{self.run}-{self.count:06d}{SUFFIX}"
        partial = final.with_name(final.name + PARTIAL)
        pq.write_table(table, partial, compression="zstd")
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        partial.replace(final)
        return final


def read_shard(path: Path) -> tuple[ShardInfo, pa.Table]:
    """A shard's metadata and rows.

    Raises:
        ValueError: the file is not a readable Twinlens shard (its reason in the message).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"not a readable Parquet file ({exc})") from exc
    return shard_info(table.schema.metadata), table


def read_info(path: Path) -> ShardInfo:
    """Only a shard's metadata (its footer), without reading its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"not a readable Parquet file ({exc})") from exc
    return shard_info(metadata)


def done_keys(folder: Path) -> set[FileKey]:
    """Every file already recorded in ``folder``'s shards (unreadable shards count for none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys: set[FileKey] = set()
    for path in shard_files(folder):
        try:
            table = pq.read_table(path, columns=["path", "size", "mtime_ns"])
        except (OSError, pa.ArrowException):
            continue
        columns = [table.column(name).to_pylist() for name in ("path", "size", "mtime_ns")]
        keys.update((p, int(s), int(m)) for p, s, m in zip(*columns, strict=True) if p)
    return keys


def rows(table: pa.Table, chunk: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """A table's rows as dicts, ``chunk`` at a time (a shard never sits in memory twice)."""
    for batch in table.to_batches(max_chunksize=chunk):
        yield batch.to_pylist()
