"""A tiny ONNX model with the shipped model's interface, so engine tests run in milliseconds.

image (N, 3, 32, 32) -> 4x4 average pool -> fixed random projection -> bits (N, 64) uint8 and
embedding (N, 48) float32, with Twinlens metadata. Similar pictures get similar codes (it is a
random-hyperplane hash of a thumbnail), which is all the scanner and CLI tests need.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig


def tiny_meta(version: str = "1") -> ModelMeta:
    return ModelMeta(
        model_id="tiny-test",
        model_version=version,
        bits=64,
        preprocess=PreprocessConfig(input_size=(3, 32, 32)),
        tier_radii={"same_photo": 4, "edited_copy": 8, "similar_shot": 14},
        tier_precision={"same_photo": 1.0},
        embedding_dim=48,
        description="tiny random-projection model for tests",
    )


def write_tiny_model(path: Path, version: str = "1", seed: int = 0) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((48, 64)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Flatten", ["pooled"], ["embedding"], axis=1),
        helper.make_node("ReduceMean", ["embedding", "axes"], ["mean"], keepdims=1),
        helper.make_node("Sub", ["embedding", "mean"], ["centred"]),
        helper.make_node("MatMul", ["centred", "weights"], ["projection"]),
        helper.make_node("Greater", ["projection", "zero"], ["positive"]),
        helper.make_node("Cast", ["positive"], ["bits"], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, 32, 32])],
        [
            helper.make_tensor_value_info("bits", TensorProto.UINT8, ["n", 64]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", 48]),
        ],
        initializer=[
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
            numpy_helper.from_array(np.array([1], np.int64), "axes"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    for key, value in tiny_meta(version).to_props().items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
