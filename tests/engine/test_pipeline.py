"""The overlapped indexing pipeline (issue 16): same results as one photo after the other.

Why: decoding runs on a thread pool while onnxruntime encodes, so photos are prepared out of
order and in parallel. These tests pin what must not change for it: every photo's hash,
facts and codes equal those of the plain sequential loop, in input order; a bad photo becomes
its own error and never stops the rest; the pipeline reads a bounded window ahead; and a
cancelled run stops reading.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import make_photo
from twinlens.engine.config import EngineConfig
from twinlens.engine.indexing import pipeline as pipeline_module
from twinlens.engine.indexing.pipeline import Pipeline, Prepared
from twinlens.engine.media.files import FileStat, walk_photos
from twinlens.engine.model.encoder import Encoder
from twinlens.engine.progress import CancelToken

BATCH = 4


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Good photos of several sizes, a byte copy, and bad files in between."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(17):
        size = (320 + 40 * (index % 5), 240 + 30 * (index % 3))
        make_photo(photos / f"p{index:02d}.jpg", seed=index, size=size)
    shutil.copyfile(photos / "p03.jpg", photos / "p03 copy.jpg")
    data = (photos / "p05.jpg").read_bytes()
    (photos / "p05 truncated.jpg").write_bytes(data[: len(data) // 3])
    (photos / "p08 not a photo.jpg").write_text("plain text")
    (photos / "p11 empty.jpg").write_bytes(b"")
    return photos


def _pipeline(tiny_model: Path, workers: int = 3) -> Pipeline:
    config = EngineConfig(batch_size=BATCH, workers=workers, inference_threads=1)
    return Pipeline(Encoder(tiny_model, threads=1, cpu_only=True), config)


def _stats(folder: Path) -> list[FileStat]:
    return sorted(walk_photos([folder], lambda *_: None), key=lambda s: str(s.path))


def _sequential(pipeline: Pipeline, stats: list[FileStat]) -> list[Prepared]:
    """The reference: prepare one photo after the other, then encode in the same batches."""
    prepared = [pipeline.prepare(stat) for stat in stats]
    for lo in range(0, len(prepared), BATCH):
        pipeline.encode(prepared[lo : lo + BATCH])
    return prepared


def _summary(prepared: Prepared) -> tuple[object, ...]:
    codes = {kind: words.tobytes() for kind, words in prepared.codes.items()}
    reason = prepared.error.reason.value if prepared.error else None
    return prepared.path, prepared.hash, prepared.facts, codes, reason


def test_overlapped_run_equals_the_sequential_loop(tiny_model: Path, folder: Path) -> None:
    pipeline = _pipeline(tiny_model)
    stats = _stats(folder)
    batches = list(pipeline.run(stats))
    assert all(len(batch) == BATCH for batch in batches[:-1])
    overlapped = [p for batch in batches for p in batch]
    expected = _sequential(pipeline, stats)
    assert [_summary(p) for p in overlapped] == [_summary(p) for p in expected]
    good = [p for p in overlapped if p.ok]
    assert len(good) == 18
    assert all(p.codes and p.facts for p in good)
    pixels = {p.path: p.pixels for p in expected if p.pixels is not None}
    assert all(np.array_equal(p.pixels, pixels[p.path]) for p in good)


def test_a_photo_that_trips_anything_becomes_its_own_error(
    tiny_model: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline_module._facts

    def explode_on_p07(content: str, decoded: object) -> object:
        if (decoded.info.width, decoded.info.height) == (400, 270):  # type: ignore[attr-defined]
            raise RuntimeError("a bug in one photo's facts")
        return real(content, decoded)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline_module, "_facts", explode_on_p07)
    overlapped = [p for batch in _pipeline(tiny_model).run(_stats(folder)) for p in batch]
    reasons = {Path(p.path).name: p.error.reason.value for p in overlapped if p.error}
    assert reasons == {
        "p07.jpg": "corrupt",
        "p05 truncated.jpg": "truncated",
        "p08 not a photo.jpg": "not_an_image",
        "p11 empty.jpg": "empty",
    }
    assert sum(1 for p in overlapped if p.ok and p.codes) == 17


def _counting(stats: list[FileStat], pulled: list[int]) -> Iterator[FileStat]:
    for stat in stats:
        pulled[0] += 1
        yield stat


def test_reads_a_bounded_window_ahead(tiny_model: Path, folder: Path) -> None:
    pipeline = _pipeline(tiny_model)
    stats = _stats(folder)
    pulled = [0]
    run = pipeline.run(_counting(stats, pulled))
    delivered = 0
    for batch in run:
        delivered += len(batch)
        assert pulled[0] - delivered <= pipeline.window, "read too far ahead"
    assert delivered == len(stats)


def test_cancelled_run_stops_reading(tiny_model: Path, folder: Path) -> None:
    pipeline = _pipeline(tiny_model)
    stats = _stats(folder) * 3
    pulled = [0]
    cancel = CancelToken()
    delivered = 0
    for batch in pipeline.run(_counting(stats, pulled), cancel=cancel):
        delivered += len(batch)
        cancel.cancel()
    assert delivered < len(stats)
    assert pulled[0] <= BATCH + pipeline.window
