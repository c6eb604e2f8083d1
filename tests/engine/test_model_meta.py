"""Model metadata: written into the ONNX file, read back by the engine, refused when unusable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.tiny_model import tiny_meta
from twinlens.engine.errors import ModelError
from twinlens.engine.model.encoder import Encoder, shipped_model_path
from twinlens.engine.model.meta import ModelMeta


def test_props_round_trip() -> None:
    meta = tiny_meta()
    assert ModelMeta.from_props(meta.to_props()) == meta
    assert all(isinstance(v, str) for v in meta.to_props().values())


def test_engine_reads_preprocessing_and_tiers_from_the_model_file(tiny_model: Path) -> None:
    encoder = Encoder(tiny_model)
    assert encoder.meta == tiny_meta()
    assert encoder.meta.preprocess.input_size == (3, 32, 32)
    assert encoder.meta.key == "tiny-test@1"
    assert encoder.provider in ("CPUExecutionProvider", "CUDAExecutionProvider")


def test_newer_metadata_format_is_refused() -> None:
    props = tiny_meta().to_props() | {"twinlens_format": "99"}
    with pytest.raises(ModelError, match="update Twinlens"):
        ModelMeta.from_props(props)


@pytest.mark.parametrize(
    ("key", "value"),
    [("bits", "lots"), ("tier_radii", '{"same_photo": 3}'), ("input_size", "[3, 224]")],
)
def test_broken_metadata_is_refused(key: str, value: str) -> None:
    with pytest.raises(ModelError):
        ModelMeta.from_props(tiny_meta().to_props() | {key: value})


def test_tier_radii_must_grow_from_strict_to_loose() -> None:
    meta = replace(tiny_meta(), tier_radii={"same_photo": 9, "edited_copy": 4, "similar_shot": 12})
    with pytest.raises(ModelError, match="ordered"):
        meta.validate()


def test_missing_model_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        Encoder(tmp_path / "nope.onnx")


def test_shipped_model_is_found_and_valid() -> None:
    path = shipped_model_path()
    meta = Encoder(path).meta
    assert meta.bits == 64
    assert meta.preprocess.input_size == (3, 224, 224)
    assert meta.embedding_dim == 1280
