"""The TBH-VAE export on a tiny stand-in backbone: one ONNX file, metadata, ORT == torch.

Why: the shipped file is built once from hours of work; this checks in seconds that the
wrapper exports, carries metadata the engine parses, and that onnxruntime's codes equal
torch's, so a broken export fails here rather than in a user's library.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch (training extras) not installed")
pytest.importorskip("onnx", reason="onnx not installed")
pytest.importorskip("onnxruntime", reason="onnxruntime not installed")

from torch import nn  # noqa: E402, TID253

from twinlens.engine.model.meta import ModelMeta  # noqa: E402
from twinlens.training.config import tiny_config  # noqa: E402
from twinlens.training.data import Split  # noqa: E402
from twinlens.training.export_first_model import export_onnx, write_metadata  # noqa: E402
from twinlens.training.export_tbh_vae import TBHVAEHashing, make_meta  # noqa: E402
from twinlens.training.train import fit  # noqa: E402


class TinyBackbone(nn.Module):
    """Stands in for EfficientNet-Lite0: image -> 24-d pooled feature."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 24, kernel_size=8, stride=8)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x)).mean(dim=(2, 3))


@pytest.mark.timeout(60)
# export_first_model deliberately uses the TorchScript exporter (static TF pads fold into
# constants); torch warns that it is legacy, attributed to our module, which pytest makes an error.
@pytest.mark.filterwarnings("ignore:You are using the legacy TorchScript:DeprecationWarning")
def test_export_roundtrip(tmp_path):
    import onnx
    import onnxruntime as ort

    torch.manual_seed(0)
    backbone = TinyBackbone().eval()
    images = torch.randn(6, 3, 224, 224)
    with torch.no_grad():
        feats = backbone.forward_features(images).numpy()
    train = np.concatenate([feats] * 11)[:64] + np.random.default_rng(0).normal(0, 0.01, (64, 24))
    trained = fit(
        tiny_config().with_(epochs=1), Split(train.astype(np.float32), np.zeros(64)), log=False
    )
    model = TBHVAEHashing(backbone, trained).eval()
    path = tmp_path / "tiny.onnx"
    export_onnx(model, path)
    meta = make_meta(
        trained.config,
        {"same_photo": 1, "edited_copy": 2, "similar_shot": 4},
        {"edited_copy": 1.0},
    )
    write_metadata(path, meta)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert ModelMeta.from_props(props).tier_radii["edited_copy"] == 2
    assert "TBH-VAE" in ModelMeta.from_props(props).description
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    bits, emb = sess.run(["bits", "embedding"], {"image": images.numpy()})
    with torch.no_grad():
        t_bits, t_emb = model(images)
    assert bits.dtype == np.uint8
    assert bits.shape == (6, 16)
    assert np.array_equal(bits, t_bits.numpy())
    assert np.allclose(emb, t_emb.numpy(), atol=1e-4)
    # The exported codes are the trained model's deterministic codes of the same features.
    assert np.array_equal(bits, trained.encode(t_emb.numpy()))
