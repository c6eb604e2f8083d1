# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Train, export, check, calibrate and ship the app's model as ONE ONNX file.

Graph (model/hashing.py): ``image`` (N,3,224,224) -> frozen EfficientNet-Lite0 (one pass)
-> two hashing heads (standardisation, TBH-VAE trunk, binary head), each giving 1[logit > 0]
as uint8: ``bits`` (N,M), the semantic code (similar shots, search), and ``dup_bits``, the
duplicate code (edit-invariant, instance-level: duplicate candidates); plus the backbone
``embedding`` (N,1280). Metadata from ``engine.model.meta.ModelMeta.to_props()``, naming each
code's kind, output, length and candidate search; the semantic code's similar-shot radius is
calibrated on real photos by ``calibration.similar``, the duplicate code's candidate radius by
``calibration.code_radius``, both from the exported file itself. Code lengths are the trained
heads', never constants here.

One command, from the repository root (cached features are reused)::

    python -m twinlens.training.ship

``--dry-run`` builds and checks the file under ``cache/`` without touching resources/models;
``--from-run DIR`` exports the semantic and duplicate runs saved in ``DIR/semantic`` and
``DIR/duplicate`` instead of training them again (same configurations and seeds).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from twinlens.engine.model.meta import CodeSpec, ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig

from .calibration.code_radius import calibrate_duplicate
from .calibration.similar import calibrate
from .config import DUPLICATE, SHIPPED, TrainConfig
from .data.features import CACHE_DIR, REPO_ROOT, load_or_compute
from .data.splits import Split, cifar_labels
from .export.onnx import check_against_torch, export_onnx, training_commit, write_metadata
from .model.backbone import EMBEDDING_DIM, load_backbone
from .model.hashing import HashHead, HashingNetwork
from .train import Trained, fit, load, save

MODEL_VERSION = "2"
OUTPUTS = ("bits", "dup_bits", "embedding")
DUPLICATE_NEIGHBOURS = 10
"""Duplicate candidates per photo from the duplicate code: its nearest within the radius."""


@dataclass(frozen=True)
class Heads:
    """The two trained heads that ship together."""

    semantic: Trained
    duplicate: Trained


def model_id(heads: Heads) -> str:
    return f"effnetlite0-tbhvae{heads.semantic.config.bits}-dup{heads.duplicate.config.bits}"


def model_path(heads: Heads) -> Path:
    name = f"twinlens-{model_id(heads)}-v{MODEL_VERSION}.onnx"
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


def duplicate_description(config: TrainConfig) -> str:
    return (
        f"duplicate code: the same backbone features, a second TBH-VAE trunk + {config.bits}-bit "
        f"head whose code contrastive term (weight {config.contrastive_weight:g}, temperature "
        f"{config.contrastive_temperature:g}) pulls {config.view_count} edited copies of each "
        "CIFAR-10 train image onto it (data.views; issue 16)"
    )


def network(heads: Heads) -> HashingNetwork:
    """The graph that ships: the frozen backbone and both trained heads (one backbone pass)."""
    semantic, duplicate = heads.semantic, heads.duplicate
    return HashingNetwork(
        load_backbone(),
        {
            "semantic": HashHead(semantic.model, semantic.scaler.mean, semantic.scaler.std),
            "duplicate": HashHead(duplicate.model, duplicate.scaler.mean, duplicate.scaler.std),
        },
    ).eval()


def train_shipped(out: Path) -> Heads:
    """Train both shipped configurations on the 50,000 CIFAR-10 train features (the
    duplicate code with the features of its edited copies too)."""
    features = load_or_compute("cifar10_train").astype(np.float32)
    train = Split(features, cifar_labels()[0])
    semantic = fit(SHIPPED, train)
    save(semantic, out / "semantic")
    views = np.stack(
        [
            load_or_compute(f"cifar10_train_edit{v}").astype(np.float32)
            for v in range(DUPLICATE.view_count)
        ]
    )
    duplicate = fit(DUPLICATE, train, views=views)
    save(duplicate, out / "duplicate")
    return Heads(semantic, duplicate)


def make_meta(
    heads: Heads,
    radii: dict[str, int],
    precision: dict[str, float],
    duplicate_radius: int,
) -> ModelMeta:
    semantic, duplicate = heads.semantic.config, heads.duplicate.config
    codes = (
        CodeSpec("semantic", "bits", semantic.bits),
        CodeSpec(
            "duplicate",
            "dup_bits",
            duplicate.bits,
            candidate_radius=duplicate_radius,
            candidate_neighbours=DUPLICATE_NEIGHBOURS,
        ),
    )
    return ModelMeta(
        model_id=model_id(heads),
        model_version=MODEL_VERSION,
        bits=semantic.bits,
        preprocess=PreprocessConfig(),
        tier_radii=radii,
        tier_precision=precision,
        embedding_dim=EMBEDDING_DIM,
        description=f"{description(semantic)}; {duplicate_description(duplicate)}",
        training_commit=training_commit(),
        codes=codes,
    )


def export_checked(heads: Heads, path: Path) -> dict[str, float]:
    """Export both heads to ``path``; compare onnxruntime with torch for each output."""
    model = network(heads)
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
    if args.from_run is not None:  # the very models the evaluations scored
        heads = Heads(load(args.from_run / "semantic"), load(args.from_run / "duplicate"))
        if {heads.semantic.config.method, heads.duplicate.config.method} != {"tbh_vae"}:
            raise SystemExit(f"{args.from_run} does not hold two TBH-VAE runs")
    else:
        heads = train_shipped(args.run_dir)
    target = model_path(heads)
    partial = CACHE_DIR.parent / (target.name + ".partial")
    check = export_checked(heads, partial)
    # Calibrate the exported file itself (onnxruntime, the app's decode and preprocessing);
    # radius 0 everywhere until measured, so an interrupted run never ships a guess.
    untested = {"same_photo": 0, "edited_copy": 0, "similar_shot": 0}
    write_metadata(partial, make_meta(heads, untested, {}, 0))
    radii, precision = calibrate(partial)
    dense = np.concatenate([load_or_compute("cifar10_train"), load_or_compute("cifar10_test")])
    duplicate = calibrate_duplicate(
        partial, "dup_bits", heads.duplicate.encode(dense.astype(np.float32))
    )
    write_metadata(partial, make_meta(heads, radii, precision, duplicate.candidate))
    print(f"tier radii {radii}, measured precision {precision}")
    print(
        f"duplicate code: candidate radius {duplicate.candidate} ({duplicate.dense_pairs} pairs"
        f" over the 60,000 CIFAR-10 images); recall by kind at it (code alone, calibration"
        f" half): {duplicate.candidate_recall}; at the 1 %-other-shot radius"
        f" {duplicate.other_shot}: {duplicate.other_shot_recall}"
    )
    if args.dry_run:
        print(f"dry run: checked file left at {partial}")
    else:
        ship(partial, target)
        print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
    print(f"onnxruntime vs torch: {check}; total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
