"""``twinlens cluster scan``: index an archive on a Ray cluster into Parquet shards.

One Ray Data pipeline, streamed (a photo's pixels live only between two stages):

1. listing: each root is walked by ``walk_photos`` on a worker (or a file list is read and
   each name stat'ed), skipping files the output folder already records (a rerun resumes);
2. CPU workers: ``Pipeline.prepare`` reads, hashes, decodes, signs and preprocesses;
3. an actor pool encodes with the same ONNX model through ``Pipeline.encode``: one actor per
   GPU with the CUDA provider where the cluster has GPUs, CPU actors elsewhere;
4. the driver writes the records into shards, each renamed into place when complete, and
   reports progress.

The driver writes the shards itself (records are about 300 bytes; pixels never reach it), so
each shard is whole or absent however the job ends, which Ray's own writers do not promise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinlens.engine.config import EngineConfig
from twinlens.engine.errors import TwinlensError
from twinlens.engine.model.encoder import Encoder, shipped_model_path
from twinlens.engine.paths import physical, shown, to_bytes
from twinlens.engine.progress import CancelToken, Progress

from .records import FORMAT, ShardInfo
from .shards import ShardWriter, done_keys, read_info, shard_files
from .workers import EncodeActor, list_names, list_root, prepare_batch


@dataclass
class ClusterScanSummary:
    """What one cluster scan run did."""

    out: str
    already_done: int = 0
    """Files the output folder recorded before this run (skipped)."""
    listed: int = 0
    """Files this run had to index."""
    indexed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    shards: list[str] = field(default_factory=list)
    cpus: float = 0
    gpus: float = 0
    encoders: int = 0
    cancelled: bool = False


@dataclass(frozen=True)
class ClusterOptions:
    """Where and how wide to run; the defaults suit one machine and a cluster alike."""

    address: str | None = None
    """A running cluster (``ray start --head`` prints it); None: a local Ray instance."""
    num_cpus: int | None = None
    """CPUs of the local instance (None: all); ignored with ``address``."""
    encoders: int | None = None
    """Encoder actors; None: one per GPU, or one per two CPUs on a CPU-only cluster."""
    batch_size: int = 16
    """Photos per prepare task and per encoder call on a CPU (a GPU gets 4x)."""
    shard_rows: int = 2000
    """Records per shard file."""


def cluster_scan(
    paths: Iterable[Path],
    out: Path,
    options: ClusterOptions | None = None,
    file_list: Path | None = None,
    config: EngineConfig | None = None,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, ClusterScanSummary]:
    """Index ``paths`` (or the files named in ``file_list``) into shards in ``out``."""
    import ray

    options = options or ClusterOptions()
    config = config or EngineConfig.from_env()
    cancel = cancel or CancelToken()
    roots = [physical(p) for p in paths]
    model_path = config.model_path or shipped_model_path()
    meta = Encoder(model_path, 1, cpu_only=True).meta
    info = ShardInfo(FORMAT, meta.key, meta.bits, [to_bytes(r) for r in roots])
    _same_model(out, meta.key)
    summary = ClusterScanSummary(str(out))
    progress = Progress("listing")
    yield progress
    done = done_keys(out)
    summary.already_done = len(done)
    started = not ray.is_initialized()
    if started:
        _init(ray, options)
    try:
        yield from _run(
            ray,
            roots,
            file_list,
            out,
            model_path.read_bytes(),
            config,
            info,
            options,
            frozenset(done),
            summary,
            cancel,
        )
    finally:
        if started:
            ray.shutdown()
    return summary


def _same_model(out: Path, model: str) -> None:
    """A rerun resumes a scan of the same model; another model's shards need another DIR."""
    for shard in shard_files(out):
        try:
            found = read_info(shard).model
        except ValueError:
            continue  # an unreadable shard records nothing: its files are indexed again
        if found != model:
            raise TwinlensError(
                f"{shown(out)} holds shards of the model {found}, not {model}: give another"
                " --out folder for this model"
            )


def _init(ray: Any, options: ClusterOptions) -> None:
    import ray.data

    if options.address:
        try:
            ray.init(address=options.address, logging_level="WARNING", log_to_driver=False)
        except (ConnectionError, TimeoutError) as exc:  # what ray.init raises for a bad address
            raise TwinlensError(
                f"cannot reach the Ray cluster at {options.address} ({exc}); is `ray start"
                " --head` running there, and is this the address it printed?"
            ) from exc
    else:
        ray.init(
            num_cpus=options.num_cpus,
            include_dashboard=False,
            logging_level="WARNING",
            log_to_driver=False,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # our own progress line says it once, not per stage
    context.print_on_execution_start = False


def _run(
    ray: Any,
    roots: list[Path],
    file_list: Path | None,
    out: Path,
    model: bytes,
    config: EngineConfig,
    info: ShardInfo,
    options: ClusterOptions,
    done: frozenset[tuple[bytes, int, int]],
    summary: ClusterScanSummary,
    cancel: CancelToken,
) -> Generator[Progress, None, None]:
    import pyarrow as pa
    import ray.data

    if file_list is not None:
        source = ray.data.read_binary_files(str(physical(file_list)))
        listing = source.flat_map(list_names, fn_kwargs={"done": done})
    else:
        source = ray.data.from_items([{"root": to_bytes(r)} for r in roots])
        listing = source.flat_map(list_root, fn_kwargs={"done": done})
    listing = listing.materialize()  # small rows; the total makes progress meaningful
    summary.listed = listing.count()
    if summary.listed == 0:
        return
    resources = ray.cluster_resources()
    summary.cpus, summary.gpus = resources.get("CPU", 0), resources.get("GPU", 0)
    gpu = summary.gpus >= 1
    summary.encoders = options.encoders or (
        int(summary.gpus) if gpu else max(1, int(summary.cpus) // 2)
    )
    batch = options.batch_size
    prepared = listing.repartition(target_num_rows_per_block=batch).map_batches(
        prepare_batch,
        batch_size=batch,
        batch_format="pyarrow",
        fn_kwargs={"model": model, "config": config, "info": info},
        num_cpus=1,
        # A full-size decode may take this much (EngineConfig.decode), so Ray packs no more
        # decodes on a node than its memory holds. Its resources differing from the
        # encoders', it also stays a stage of its own: Ray would otherwise fuse it into the
        # encoder actors and leave every CPU that holds no encoder idle.
        memory=config.decode.memory_budget,
    )
    encoded = prepared.map_batches(
        EncodeActor,
        batch_size=batch * 4 if gpu else batch,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=summary.encoders),
        num_cpus=1,
        num_gpus=1 if gpu else 0,
        fn_constructor_kwargs={
            "model": model,
            "config": config,
            "info": info,
            "gpu": gpu,
            "threads": 1,
        },
    )
    writer = ShardWriter(out, info)
    progress = Progress("indexing", total=summary.listed)
    yield progress
    pending: list[pa.Table] = []
    reasons: Counter[str] = Counter()
    for table in encoded.iter_batches(batch_size=None, batch_format="pyarrow"):
        pending.append(table)
        status, reason = table.column("status").to_pylist(), table.column("reason").to_pylist()
        summary.indexed += sum(1 for s in status if s == "indexed")
        reasons.update(r for s, r in zip(status, reason, strict=True) if s != "indexed" and r)
        progress.done += table.num_rows
        yield progress
        _flush(writer, pending, summary, options.shard_rows)
        if cancel.cancelled:
            summary.cancelled = True
            break
    _flush(writer, pending, summary, options.shard_rows, final=True)
    summary.errors = dict(sorted(reasons.items()))


def _flush(
    writer: ShardWriter,
    pending: list[Any],
    summary: ClusterScanSummary,
    rows: int,
    final: bool = False,
) -> None:
    """Write each whole shard of ``rows`` records ``pending`` holds (``final``: the rest too)."""
    import pyarrow as pa

    if not pending:
        return
    table = pa.concat_tables(pending)
    pending.clear()
    while table.num_rows >= rows or (final and table.num_rows):
        shard = writer.write(table.slice(0, rows))
        table = table.slice(rows)
        if shard is not None:
            summary.shards.append(str(shard))
    if table.num_rows:
        pending.append(table)
