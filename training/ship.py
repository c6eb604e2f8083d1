# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Train, export, check, calibrate and ship the app's model as ONE ONNX file.

Graph (model/hashing.py): ``image`` (N,3,224,224) -> frozen EfficientNet-Lite0 -> each
hashing head (standardisation, TBH-VAE trunk, binary head) -> ``bits`` (N,M) uint8 =
1[logit > 0], plus the backbone ``embedding`` (N,1280). Metadata from
``engine.model.meta.ModelMeta.to_props()``; tier radii calibrated on edited real photos by
``calibration.verified`` (the rule the engine applies) from the exported file itself, with
their measured precision. The code length is the trained head's, never a constant here.

One command, from the repository root (cached features are reused)::

    python -m twinlens.training.ship

``--dry-run`` builds and checks the file under ``cache/`` without touching resources/models;
``--from-run cache/runs/cifar/tbh-vae+nc-64`` exports a model an evaluation trained instead of
training it again (same configuration and seed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig

from .calibration.verified import calibrate
from .config import SHIPPED, TrainConfig
from .data.features import CACHE_DIR, REPO_ROOT, load_or_compute
from .data.splits import Split, cifar_labels
from .export.onnx import check_against_torch, export_onnx, training_commit, write_metadata
from .model.backbone import EMBEDDING_DIM, load_backbone
from .model.hashing import HashHead, HashingNetwork
from .train import Trained, fit, load, save

MODEL_VERSION = "1"
OUTPUTS = ("bits", "embedding")


def model_id(config: TrainConfig) -> str:
    return f"effnetlite0-tbhvae{config.bits}"


def model_path(config: TrainConfig) -> Path:
    name = f"twinlens-{model_id(config)}-v{MODEL_VERSION}.onnx"
    return REPO_ROOT / "resources" / "models" / name


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


def network(trained: Trained) -> HashingNetwork:
    """The graph that ships: the frozen backbone and the trained head."""
    head = HashHead(trained.model, trained.scaler.mean, trained.scaler.std)
    return HashingNetwork(load_backbone(), {"semantic": head}).eval()


def train_shipped(out: Path) -> Trained:
    """Train the shipped configuration on all 50,000 CIFAR-10 train features."""
    features = load_or_compute("cifar10_train").astype(np.float32)
    trained = fit(SHIPPED, Split(features, cifar_labels()[0]))
    save(trained, out)
    return trained


def make_meta(config: TrainConfig, radii: dict[str, int], precision: dict[str, float]) -> ModelMeta:
    return ModelMeta(
        model_id=model_id(config),
        model_version=MODEL_VERSION,
        bits=config.bits,
        preprocess=PreprocessConfig(),
        tier_radii=radii,
        tier_precision=precision,
        embedding_dim=EMBEDDING_DIM,
        description=description(config),
        training_commit=training_commit(),
    )


def export_checked(trained: Trained, path: Path) -> dict[str, float]:
    """Export ``trained`` to ``path`` and compare onnxruntime with torch (raises if apart)."""
    model = network(trained)
    export_onnx(model, path, OUTPUTS)
    return check_against_torch(path, model, model.logits, OUTPUTS)


def ship(partial: Path, target: Path) -> None:
    """Move the checked file into resources/models, leaving it the only model there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    for other in target.parent.glob("*.onnx"):
        if other != target:
            other.unlink()
            print(f"removed the previous model {other.name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--run-dir", type=Path, default=CACHE_DIR.parent / "runs" / "shipped")
    parser.add_argument("--from-run", type=Path, help="export a saved run instead of training")
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    if args.from_run is not None:
        trained = load(args.from_run)  # the very model the evaluations scored
        if trained.config.method != "tbh_vae":
            raise SystemExit(f"{args.from_run} is not a TBH-VAE run")
    else:
        trained = train_shipped(args.run_dir)
    target = model_path(trained.config)
    partial = CACHE_DIR.parent / (target.name + ".partial")
    check = export_checked(trained, partial)
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
        ship(partial, target)
        print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
    print(f"onnxruntime vs torch: {check}; total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
