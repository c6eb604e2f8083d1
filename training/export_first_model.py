# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Build, check, calibrate and ship the first Twinlens model as one ONNX file.

Why: the app needs a model before any hashing head is trained. This one is an ImageNet
EfficientNet-Lite0 backbone plus a 64-bit ITQ head fitted on frozen features, exported as a
single ONNX graph (``image`` (N,3,224,224) float32 -> ``bits`` (N,64) uint8 0/1 and
``embedding`` (N,1280) float32) that carries its own metadata (``engine/model_meta.py``).

Reproduce the shipped file with ONE command, from the repository root, with the ``training``
extras installed and the shared data at ``../shared/data`` (or ``$TWINLENS_SHARED``)::

    python -m twinlens.training.export_first_model

It reads the cached backbone features from ``cache/features/`` or computes them first
(CIFAR-10, 60,000 images: about 40 minutes on 2 CPU cores, resumable), fits ITQ, exports the
graph, runs ``onnx.checker``, compares onnxruntime with torch, measures the tier radii on
edited copies of real photos (``calibrate_tiers.py``) and writes them, with the measured
precision, into ``resources/models/twinlens-effnetlite0-itq64-v1.onnx``. The file is only
replaced once every step has passed. ``python -m twinlens.training.calibrate_tiers`` re-runs
just the calibration on the shipped file and rewrites its metadata.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from twinlens.engine.model.meta import (
    TIER_EDITED_COPY,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    ModelMeta,
)
from twinlens.engine.model.preprocess import PreprocessConfig, to_batch

from .backbone import EMBEDDING_DIM, load_backbone
from .features import CACHE_DIR, REPO_ROOT, load_or_compute
from .itq import ITQ, fit_itq

MODEL_PATH = REPO_ROOT / "resources" / "models" / "twinlens-effnetlite0-itq64-v1.onnx"
MODEL_ID = "effnetlite0-itq64"
MODEL_VERSION = "1"
BITS = 64
ITQ_SEED = 0
ITQ_ITERATIONS = 50
OPSET = 17
DESCRIPTION = (
    "EfficientNet-Lite0 (ImageNet weights, TF padding) average-pooled 1280-d embedding, "
    "64-bit ITQ head fitted on CIFAR-10 train + real photos"
)
PROVISIONAL_RADII = {TIER_SAME_PHOTO: 0, TIER_EDITED_COPY: 0, TIER_SIMILAR_SHOT: 0}
"""Written before calibration only so the file parses; never shipped."""


class HashingModel(nn.Module):
    """Backbone + ITQ: image -> (bits, embedding), the graph the app runs."""

    def __init__(self, backbone: nn.Module, itq: ITQ) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.from_numpy(itq.mean.copy()))
        self.register_buffer("projection", torch.from_numpy(itq.projection.copy()))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,3,224,224) -> bits (N,64) uint8 with bit = projection > 0, embedding (N,1280)."""
        embedding = self.backbone.forward_features(image)
        projection = (embedding - self.mean) @ self.projection
        return (projection > 0).to(torch.uint8), embedding

    def project(self, image: torch.Tensor) -> torch.Tensor:
        """The real-valued projections whose signs are the bits (for diagnosing flips)."""
        return (self.backbone.forward_features(image) - self.mean) @ self.projection


def fit_head() -> ITQ:
    """Fit ITQ on the cached features of CIFAR-10 train plus the real photos."""
    features = np.concatenate([load_or_compute("cifar10_train"), load_or_compute("photos")]).astype(
        np.float32
    )
    started = time.perf_counter()
    itq = fit_itq(features, bits=BITS, iterations=ITQ_ITERATIONS, seed=ITQ_SEED)
    elapsed = time.perf_counter() - started
    codes = itq.encode(features)
    print(
        f"ITQ: fitted on {features.shape} in {elapsed:.1f} s; quantisation loss "
        f"{itq.losses[0]:.2f} -> {itq.losses[-1]:.2f}; bit balance (mean of each bit) "
        f"min {codes.mean(0).min():.3f} max {codes.mean(0).max():.3f}"
    )
    return itq


def export_onnx(model: HashingModel, path: Path) -> None:
    """Export one ONNX graph with a dynamic batch axis and check it with ``onnx.checker``."""
    import onnx

    dummy = torch.zeros(2, 3, 224, 224)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["bits", "embedding"],
        dynamic_axes={"image": {0: "batch"}, "bits": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,  # the TorchScript exporter folds the static TF pads into constants
    )
    onnx.checker.check_model(str(path), full_check=True)


def training_commit() -> str:
    """Short hash of HEAD, or "uncommitted" when there is none (or git is unavailable)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    return result.stdout.strip() or "uncommitted"


def make_meta(tier_radii: dict[str, int], tier_precision: dict[str, float]) -> ModelMeta:
    """The model's metadata with the given tier radii and measured precisions."""
    return ModelMeta(
        model_id=MODEL_ID,
        model_version=MODEL_VERSION,
        bits=BITS,
        preprocess=PreprocessConfig(),
        tier_radii=dict(tier_radii),
        tier_precision={k: round(float(v), 4) for k, v in tier_precision.items()},
        embedding_dim=EMBEDDING_DIM,
        description=DESCRIPTION,
        training_commit=training_commit(),
    )


def write_metadata(path: Path, meta: ModelMeta) -> None:
    """Replace the ONNX file's ``metadata_props`` with ``meta`` (cheap: no re-export)."""
    import onnx

    meta.validate()
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.to_props().items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(path)
    read_back = ModelMeta.from_props({p.key: p.value for p in onnx.load(str(path)).metadata_props})
    assert read_back == meta, "metadata did not round-trip"


def check_against_torch(path: Path, model: HashingModel, n_cifar: int = 160) -> dict[str, float]:
    """Run onnxruntime and torch on the real photos + CIFAR-10 test images; compare outputs.

    Returns:
        Counts of mismatched bits (all, and those with |projection| >= 1e-5), the largest
        embedding difference, and the number of images.
    """
    from PIL import Image

    from .calibrate_tiers import ort_session
    from .features import CIFAR_PATH, load_photo, photo_paths

    images = [load_photo(p) for p in photo_paths()]
    with np.load(CIFAR_PATH) as data:
        images += [Image.fromarray(a) for a in data["x_test"][:n_cifar]]
    sess = ort_session(path)
    config = PreprocessConfig()
    mismatched = confident_mismatched = 0
    max_diff = 0.0
    for lo in range(0, len(images), 64):
        batch = to_batch(images[lo : lo + 64], config)
        ort_bits, ort_emb = sess.run(["bits", "embedding"], {"image": batch})
        with torch.inference_mode():
            x = torch.from_numpy(batch)
            bits, emb = model(x)
            proj = model.project(x)
        diff = ort_bits != bits.numpy()
        mismatched += int(diff.sum())
        confident_mismatched += int((diff & (proj.abs().numpy() >= 1e-5)).sum())
        max_diff = max(max_diff, float(np.abs(ort_emb - emb.numpy()).max()))
    result = {
        "images": len(images),
        "bits_compared": len(images) * BITS,
        "mismatched_bits": mismatched,
        "mismatched_bits_with_abs_projection_ge_1e-5": confident_mismatched,
        "max_abs_embedding_diff": max_diff,
    }
    print(f"onnxruntime vs torch: {result}")
    if confident_mismatched or max_diff > 1e-4:
        raise SystemExit(f"onnxruntime disagrees with torch: {result}")
    return result


def main() -> None:
    """Fit, export, check, calibrate, and write the shipped model file."""
    from .calibrate_tiers import calibrate

    torch.set_num_threads(2)
    started = time.perf_counter()
    itq = fit_head()
    model = HashingModel(load_backbone(), itq).eval()
    # Built outside resources/models so a half-made file is never picked up by the app.
    partial = CACHE_DIR.parent / (MODEL_PATH.name + ".partial")
    export_onnx(model, partial)
    write_metadata(partial, make_meta(PROVISIONAL_RADII, {}))
    check = check_against_torch(partial, model)
    calibration = calibrate(partial)
    write_metadata(partial, make_meta(calibration.radii, calibration.precision))
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, MODEL_PATH)
    size_mb = MODEL_PATH.stat().st_size / 1e6
    print(
        f"\nwrote {MODEL_PATH} ({size_mb:.1f} MB) in {time.perf_counter() - started:.0f} s\n"
        f"  tier radii {calibration.radii}, precision {calibration.precision}\n"
        f"  onnxruntime vs torch: {check['mismatched_bits']} of {check['bits_compared']} bits "
        f"differ, max embedding diff {check['max_abs_embedding_diff']:.2e}\n"
        f"  training commit {training_commit()}"
    )


if __name__ == "__main__":
    main()
