"""Static INT8 quantisation (issue 16) on a small conv model with two codes, in seconds.

Why: the ship step quantises the real 19 MB file, which takes minutes; this checks the same
function on a stand-in with the real file's shape (a conv trunk pooled into ``embedding``,
two hashing heads ``bits`` and ``dup_bits``): the result is really quantised, loads in the
engine with its metadata intact but for the version and the note, keeps the heads in float
when asked, and its codes stay close to the float file's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch (training extras) not installed")
onnx = pytest.importorskip("onnx", reason="onnx not installed")
pytest.importorskip("onnxruntime", reason="onnxruntime not installed")

from twinlens.engine.model.meta import CodeSpec, ModelMeta  # noqa: E402
from twinlens.engine.model.preprocess import PreprocessConfig  # noqa: E402
from twinlens.training.export.quantize import (  # noqa: E402
    QuantizeConfig,
    agreement,
    cpu_session,
    head_nodes,
    quantize_model,
)

HEADS = ["head_matmul", "head_greater", "head_cast", "dup_matmul", "dup_greater", "dup_cast"]


def _meta() -> ModelMeta:
    return ModelMeta(
        model_id="conv-test",
        model_version="3",
        bits=32,
        preprocess=PreprocessConfig(input_size=(3, 32, 32)),
        tier_radii={"same_photo": 2, "edited_copy": 4, "similar_shot": 8},
        embedding_dim=16,
        description="two-code conv stand-in.",
        training_commit="abc1234",
        codes=(
            CodeSpec("semantic", "bits", 32),
            CodeSpec("duplicate", "dup_bits", 32, candidate_radius=3, candidate_neighbours=4),
        ),
    )


def _conv_model(path: Path, seed: int = 0) -> Path:
    """image -> conv -> ReLU6 -> conv -> ReLU6 -> mean = embedding -> two sign heads."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = {
        "w1": rng.normal(0, 0.3, (8, 3, 3, 3)),
        "b1": rng.normal(0, 0.1, 8),
        "w2": rng.normal(0, 0.3, (16, 8, 3, 3)),
        "b2": rng.normal(0, 0.1, 16),
        "centre": np.full(16, 1.0),
        "semantic": rng.normal(0, 1, (16, 32)),
        "duplicate": rng.normal(0, 1, (16, 32)),
        "six": np.array(6.0),
        "nought": np.array(0.0),
        "axes": np.array([2, 3]),
    }
    init = [
        numpy_helper.from_array(v.astype(np.int64 if k == "axes" else np.float32), k)
        for k, v in weights.items()
    ]
    make = helper.make_node
    nodes = [
        make("Conv", ["image", "w1", "b1"], ["c1"], name="conv1", strides=[2, 2], pads=[1] * 4),
        make("Clip", ["c1", "nought", "six"], ["r1"], name="relu1"),
        make("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", strides=[2, 2], pads=[1] * 4),
        make("Clip", ["c2", "nought", "six"], ["r2"], name="relu2"),
        make("ReduceMean", ["r2", "axes"], ["embedding"], name="pool", keepdims=0),
        make("Sub", ["embedding", "centre"], ["centred"], name="head_sub"),
    ]
    for head, out in (("head", "semantic"), ("dup", "duplicate")):
        nodes += [
            make("MatMul", ["centred", out], [f"{head}_logits"], name=f"{head}_matmul"),
            make("Greater", [f"{head}_logits", "nought"], [f"{head}_pos"], name=f"{head}_greater"),
            make("Cast", [f"{head}_pos"], [f"{head}_out"], name=f"{head}_cast", to=2),
        ]
    nodes += [
        make("Identity", ["head_out"], ["bits"], name="bits_out"),
        make("Identity", ["dup_out"], ["dup_bits"], name="dup_bits_out"),
    ]
    outputs = [
        helper.make_tensor_value_info("bits", TensorProto.UINT8, ["n", 32]),
        helper.make_tensor_value_info("dup_bits", TensorProto.UINT8, ["n", 32]),
        helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", 16]),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, 32, 32])
    graph = helper.make_graph(nodes, "conv", [image], outputs, initializer=init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    for key, value in _meta().to_props().items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _batches(count: int, seed: int) -> list[np.ndarray]:
    """Smooth random pictures in the model's [-1, 1] input range."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1, 1, (count * 8, 3, 4, 4)).astype(np.float32)
    images = coarse.repeat(8, axis=2).repeat(8, axis=3)
    return [images[lo : lo + 8] for lo in range(0, len(images), 8)]


def _producers(path: Path) -> dict[str, str]:
    """Which op type produces each tensor of the file."""
    model = onnx.load(str(path))
    return {out: node.op_type for node in model.graph.node for out in node.output}


def _inputs_of(path: Path, name_part: str) -> list[str]:
    model = onnx.load(str(path))
    return [i for node in model.graph.node if name_part in node.name for i in node.input]


def test_head_nodes_are_everything_computed_from_the_embedding(tmp_path: Path) -> None:
    model = onnx.load(str(_conv_model(tmp_path / "f.onnx")))
    assert head_nodes(model) == ["head_sub", *HEADS[:3], *HEADS[3:], "bits_out", "dup_bits_out"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
def test_quantised_file_loads_in_the_engine_with_its_metadata(tmp_path: Path, fmt: str) -> None:
    from twinlens.engine.model.encoder import Encoder
    from twinlens.training.export.onnx import read_meta

    source = _conv_model(tmp_path / "f.onnx")
    target = tmp_path / "int8.onnx"
    meta = quantize_model(source, target, _batches(4, 0), QuantizeConfig(format=fmt))
    assert read_meta(target) == meta
    assert meta == replace(_meta(), model_version="3-int8", description=meta.description), (
        "only the version and the description change"
    )
    assert meta.description.startswith(_meta().description)
    assert "INT8" in meta.description
    ops = set(_producers(target).values())
    assert ops & {"QuantizeLinear", "QLinearConv"}, "nothing was quantised"
    encoder = Encoder(target, threads=1, cpu_only=True)
    encoded = encoder.encode_array(_batches(1, 1)[0])
    assert set(encoded.codes) == {"semantic", "duplicate"}
    assert encoded.codes["duplicate"].shape == (8, 1)
    assert encoded.embeddings.shape == (8, 16)


@pytest.mark.timeout(60)
def test_heads_stay_in_float_unless_asked(tmp_path: Path) -> None:
    source = _conv_model(tmp_path / "f.onnx")
    kept, quantised = tmp_path / "kept.onnx", tmp_path / "all.onnx"
    quantize_model(source, kept, _batches(4, 0), QuantizeConfig(float_heads=True))
    quantize_model(source, quantised, _batches(4, 0), QuantizeConfig(float_heads=False))
    kept_ops, all_ops = _producers(kept), _producers(quantised)
    assert any(kept_ops.get(i) == "DequantizeLinear" for i in _inputs_of(kept, "conv1"))
    head_inputs = _inputs_of(kept, "_matmul")
    assert len(head_inputs) == 4
    assert not any(kept_ops.get(i) == "DequantizeLinear" for i in head_inputs)
    assert any(all_ops.get(i) == "DequantizeLinear" for i in _inputs_of(quantised, "_matmul"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
def test_quantised_codes_stay_close_to_the_float_codes(tmp_path: Path, fmt: str) -> None:
    source = _conv_model(tmp_path / "f.onnx")
    target = tmp_path / "int8.onnx"
    meta = quantize_model(source, target, _batches(8, 0), QuantizeConfig(format=fmt))
    held_out = _batches(8, 1)
    result = agreement(cpu_session(source, 1), cpu_session(target, 1), meta, held_out)
    assert result.images == 64
    assert result.embedding_cosine_mean > 0.99
    assert set(result.bits_differ) == {"bits", "dup_bits"}
    assert all(0 <= f < 0.05 for f in result.bits_differ.values()), result
    # The comparison does see differences: the float file against another model's.
    other = _conv_model(tmp_path / "other.onnx", seed=1)
    apart = agreement(cpu_session(source, 1), cpu_session(other, 1), meta, held_out)
    assert all(f > 0.2 for f in apart.bits_differ.values()), apart
