"""The two-head TBH-VAE export on a tiny stand-in backbone: one ONNX file, metadata, ORT == torch.

Why: the shipped file is built once from hours of work; this checks in seconds that the
wrapper exports, carries metadata the engine parses, and that onnxruntime's codes equal
torch's, so a broken export fails here rather than in a user's library.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import need_module

torch = need_module("torch", "the training tests need torch (pip install -e '.[training]')")
need_module("onnx", "the export test needs onnx (pip install -e '.[test]')")
need_module("onnxruntime", "the export test needs onnxruntime (a core dependency)")

from torch import nn  # noqa: E402, TID253

from twinlens.engine.model.meta import ModelMeta  # noqa: E402
from twinlens.training.config import tiny_config  # noqa: E402
from twinlens.training.data.splits import Split  # noqa: E402
from twinlens.training.export.onnx import (  # noqa: E402
    check_against_torch,
    export_onnx,
    write_metadata,
)
from twinlens.training.model.hashing import HashHead, HashingNetwork  # noqa: E402
from twinlens.training.ship import OUTPUTS, Heads, make_meta  # noqa: E402
from twinlens.training.train import fit  # noqa: E402


class TinyBackbone(nn.Module):
    """Stands in for EfficientNet-Lite0: image -> 24-d pooled feature."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 24, kernel_size=8, stride=8)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x)).mean(dim=(2, 3))


def _tiny_export(tmp_path):
    torch.manual_seed(0)
    backbone = TinyBackbone().eval()
    images = torch.randn(6, 3, 224, 224)
    with torch.no_grad():
        feats = backbone.forward_features(images).numpy()
    train = np.concatenate([feats] * 11)[:64] + np.random.default_rng(0).normal(0, 0.01, (64, 24))
    split = Split(train.astype(np.float32), np.zeros(64))
    semantic = fit(tiny_config().with_(epochs=1), split, log=False)
    duplicate = fit(tiny_config().with_(epochs=1, bits=24, seed=1), split, log=False)
    heads = {
        kind: HashHead(t.model, t.scaler.mean, t.scaler.std)
        for kind, t in (("semantic", semantic), ("duplicate", duplicate))
    }
    model = HashingNetwork(backbone, heads).eval()
    path = tmp_path / "tiny.onnx"
    export_onnx(model, path, OUTPUTS)
    return model, Heads(semantic, duplicate), images, path


def _photos(count: int = 12):
    from PIL import Image

    rng = np.random.default_rng(3)
    return [
        Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)) for _ in range(count)
    ]


# The exporter is the TorchScript one on purpose (static TF pads fold into constants); torch
# warns that it is legacy, attributed to our module, which pytest makes an error.
LEGACY = "ignore:You are using the legacy TorchScript:DeprecationWarning"


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings(LEGACY)
def test_the_export_check_passes_a_faithful_file_and_refuses_a_tampered_one(tmp_path):
    import onnx
    from onnx import numpy_helper

    model, _, _, path = _tiny_export(tmp_path)
    check = check_against_torch(path, model, model.logits, OUTPUTS, images=_photos())
    for output, bits in (("bits", 16), ("dup_bits", 24)):  # each code output on its own
        assert check[f"{output}_mismatched_bits_with_abs_logit_ge_1e-5"] == 0
        assert check[f"{output}_bits_compared"] == 12 * bits
    tampered = onnx.load(str(path))
    biggest = max(tampered.graph.initializer, key=lambda t: int(np.prod(t.dims)))
    weights = numpy_helper.to_array(biggest)
    biggest.CopyFrom(numpy_helper.from_array(-weights, biggest.name))  # the head's signs flip
    onnx.save(tampered, str(path))
    with pytest.raises(SystemExit, match="disagrees"):
        check_against_torch(path, model, model.logits, OUTPUTS, images=_photos())


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings(LEGACY)
def test_export_roundtrip(tmp_path):
    import onnx
    import onnxruntime as ort

    model, heads, images, path = _tiny_export(tmp_path)
    meta = make_meta(
        heads,
        {"same_photo": 1, "edited_copy": 2, "similar_shot": 4},
        {"edited_copy": 1.0},
        duplicate_radius=5,
    )
    write_metadata(path, meta)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    read = ModelMeta.from_props(props)
    assert read.tier_radii["edited_copy"] == 2
    assert "TBH-VAE" in read.description
    assert read.code_kinds == ("semantic", "duplicate")
    assert read.code("duplicate").output == "dup_bits"
    assert read.code("duplicate").bits == 24
    assert read.candidate_radius("duplicate") == 5
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    bits, dup_bits, emb = sess.run(list(OUTPUTS), {"image": images.numpy()})
    with torch.no_grad():
        t_bits, t_dup, t_emb = model(images)
    assert bits.dtype == dup_bits.dtype == np.uint8
    assert bits.shape == (6, 16)
    assert dup_bits.shape == (6, 24)
    assert np.array_equal(bits, t_bits.numpy())
    assert np.array_equal(dup_bits, t_dup.numpy())
    assert np.allclose(emb, t_emb.numpy(), atol=1e-4)
    # The exported codes are each trained model's deterministic codes of the same features.
    assert np.array_equal(bits, heads.semantic.encode(t_emb.numpy()))
    assert np.array_equal(dup_bits, heads.duplicate.encode(t_emb.numpy()))
