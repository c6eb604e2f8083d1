# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Train, evaluate, calibrate and ship the TBH-VAE model as the app's ONE ONNX file.

Graph: ``image`` (N,3,224,224) -> frozen EfficientNet-Lite0 -> standardisation -> TBH-VAE
encoder trunk -> binary head -> ``bits`` (N,M) uint8 = 1[logit > 0], plus ``embedding``
(N,1280), the backbone embedding (as in the first model). Metadata from
``engine.model_meta.ModelMeta.to_props()``; tier radii calibrated on edited real photos by
``calibrate_verified`` (the rule the engine applies: code candidates within a radius,
verified by the pixel-structure signature) from the exported file itself, with their
measured precision. Reuses the first model's export machinery (``export_first_model``):
ONNX export + checker, metadata writing, and the onnxruntime-vs-torch check on real photos
and CIFAR test images (codes identical wherever |logit| >= 1e-5).

One command, from the repository root (cached features are reused; without them it computes
them, ~50 minutes on 2 CPU cores; the training itself takes minutes)::

    python -m twinlens.training.export_tbh_vae

``--dry-run`` builds and checks the file under ``cache/`` without touching resources/models;
``--from-run cache/runs/cifar/tbh-vae-64`` exports the model evaluation 1 trained instead of
training it again (same configuration and seed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig

from .backbone import EMBEDDING_DIM, load_backbone
from .config import TrainConfig
from .data import Split, cifar_labels
from .export_first_model import check_against_torch, export_onnx, training_commit, write_metadata
from .features import CACHE_DIR, REPO_ROOT, load_or_compute
from .train import Trained, fit, load, save

BITS = 64
MODEL_ID = f"effnetlite0-tbhvae{BITS}"
MODEL_VERSION = "1"
MODEL_PATH = REPO_ROOT / "resources" / "models" / f"twinlens-{MODEL_ID}-v{MODEL_VERSION}.onnx"


def description(config: TrainConfig) -> str:
    """What the model file is, in words (stored in its metadata)."""
    extra = {
        "neighbours": f", with a code contrastive term on feature-space neighbours "
        f"(k={config.neighbours_k}, weight {config.contrastive_weight:g})",
        "views": f", with a code contrastive term on augmented views "
        f"(weight {config.contrastive_weight:g})",
    }.get(config.partners, "")
    return (
        "EfficientNet-Lite0 (ImageNet weights, TF padding) average-pooled 1280-d embedding, "
        f"standardised, TBH-VAE encoder trunk + {config.bits}-bit binary head trained without "
        f"labels on CIFAR-10 train features{extra} (issue 4)"
    )


class TBHVAEHashing(nn.Module):
    """Backbone + scaler + trained trunk + binary head: image -> (bits, embedding)."""

    def __init__(self, backbone: nn.Module, trained: Trained) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.from_numpy(trained.scaler.mean.copy()))
        self.register_buffer("std", torch.from_numpy(trained.scaler.std.copy()))
        self.trunk = trained.model.trunk
        self.head = trained.model.binary.fc

    def project(self, image: torch.Tensor) -> torch.Tensor:
        """The binary head's logits; bit = logit > 0."""
        features = self.backbone.forward_features(image)
        return self.head(self.trunk((features - self.mean) / self.std))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N,3,224,224) -> bits (N,M) uint8 and the backbone embedding (N,1280)."""
        features = self.backbone.forward_features(image)
        logits = self.head(self.trunk((features - self.mean) / self.std))
        return (logits > 0).to(torch.uint8), features


def train_shipped(out: Path) -> Trained:
    """Train the shipped configuration on all 50,000 CIFAR-10 train features."""
    from .run_cifar import SHIPPED

    features = load_or_compute("cifar10_train").astype(np.float32)
    trained = fit(SHIPPED.with_(bits=BITS), Split(features, cifar_labels()[0]))
    save(trained, out)
    return trained


def make_meta(config: TrainConfig, radii: dict[str, int], precision: dict[str, float]) -> ModelMeta:
    return ModelMeta(
        model_id=MODEL_ID,
        model_version=MODEL_VERSION,
        bits=BITS,
        preprocess=PreprocessConfig(),
        tier_radii=radii,
        tier_precision=precision,
        embedding_dim=EMBEDDING_DIM,
        description=description(config),
        training_commit=training_commit(),
    )


def ship(partial: Path) -> None:
    """Move the checked file into resources/models, leaving it the only model there."""
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, MODEL_PATH)
    for other in MODEL_PATH.parent.glob("*.onnx"):
        if other != MODEL_PATH:
            other.unlink()
            print(f"removed the previous model {other.name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--run-dir", type=Path, default=CACHE_DIR.parent / "runs" / "shipped")
    parser.add_argument(
        "--from-run", type=Path, help="export a saved run (e.g. cache/runs/cifar/tbh-vae-64)"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    if args.from_run is not None:
        trained = load(args.from_run)  # the very model the evaluations scored
        if trained.config.method != "tbh_vae" or trained.config.bits != BITS:
            raise SystemExit(f"{args.from_run} is not a {BITS}-bit TBH-VAE run")
    else:
        trained = train_shipped(args.run_dir)
    from .calibrate_verified import calibrate

    model = TBHVAEHashing(load_backbone(), trained).eval()
    partial = CACHE_DIR.parent / (MODEL_PATH.name + ".partial")
    export_onnx(model, partial)
    check = check_against_torch(partial, model)
    # Calibrate the exported file itself (onnxruntime, the app's decode and preprocessing);
    # radius 0 everywhere until measured, so an interrupted run never ships a guess.
    untested = {"same_photo": 0, "edited_copy": 0, "similar_shot": 0}
    write_metadata(partial, make_meta(trained.config, untested, {}))
    radii, precision = calibrate(partial)
    write_metadata(partial, make_meta(trained.config, radii, precision))
    print(f"tier radii {radii}, measured precision {precision}")
    if args.dry_run:
        print(f"dry run: checked file left at {partial}")
    else:
        ship(partial)
        print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1e6:.1f} MB)")
    print(f"onnxruntime vs torch: {check}; total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
