# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The duplicate code alone, before any verification, beside the semantic code, pHash and ITQ.

For every edit kind of ``calibration.edits.KINDS``: the share of (copy, its original) pairs
within the radius where at most 1 % of the other-shot pairs fall (every file of a UKBench
object against the other originals of its object: other shots, the hardest negatives).
The radius is chosen on the calibration half of the photos; the figures are reported on
the other half (``edits.split``). Density: pairs within the code's candidate radius over
all 60,000 CIFAR-10 images, and the time ``all_pairs`` takes to list them.

    python -m twinlens.training.experiments.duplicate_code --views 4 [--sweep JSON ...]

Settings (temperature, weight, views, epochs) are compared on the calibration half only.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from twinlens.engine.matching.hamming import all_pairs
from twinlens.engine.model.codes import pack_bits
from twinlens.training.calibration.code_radius import (
    EditFiles,
    distances,
    edit_files,
    radius_at,
    recall,
)
from twinlens.training.config import DUPLICATE, SHIPPED, TrainConfig
from twinlens.training.data.features import load_or_compute
from twinlens.training.data.splits import Split, cifar_labels
from twinlens.training.train import Trained, fit

from .itq import fit_itq

Encode = Callable[[np.ndarray], np.ndarray]
"""(N, 1280) backbone features -> (N, bits) uint8 codes."""


def density(encode: Encode, radius: int) -> tuple[int, float]:
    """(pairs within ``radius`` over the 60,000 CIFAR-10 images, seconds all_pairs took)."""
    features = np.concatenate(
        [load_or_compute("cifar10_train"), load_or_compute("cifar10_test")]
    ).astype(np.float32)
    packed = pack_bits(encode(features))
    started = time.perf_counter()
    pairs = all_pairs(packed, packed.shape[1] * 8, radius)
    return len(pairs.left), time.perf_counter() - started


def score(
    name: str, codes_of: Callable[[EditFiles], np.ndarray], cal: EditFiles, rep: EditFiles
) -> dict[str, object]:
    """A code's radius (calibration half) and its recall per kind on both halves."""
    cal_pos, cal_other = distances(cal, codes_of(cal))
    radius = radius_at(cal_other)
    rep_pos, rep_other = distances(rep, codes_of(rep))
    return {
        "code": name,
        "radius": radius,
        "calibration": recall(cal_pos, radius),
        "report": recall(rep_pos, radius),
        "report_other_shot_share": float((rep_other <= radius).mean()),
    }


def _codes_of(encode: Encode) -> Callable[[EditFiles], np.ndarray]:
    return lambda split: encode(split.features)


def edit_views(count: int) -> np.ndarray:
    """(V, 50000, 1280) features of ``count`` edited copies of every CIFAR-10 train image."""
    return np.stack(
        [load_or_compute(f"cifar10_train_edit{v}").astype(np.float32) for v in range(count)]
    )


def train_duplicate(config: TrainConfig, views: np.ndarray) -> Trained:
    features = load_or_compute("cifar10_train").astype(np.float32)
    return fit(config, Split(features, cifar_labels()[0]), views=views)


def phash_codes(split: EditFiles) -> np.ndarray:
    """imagehash's 64-bit pHash of every file, decoded as the engine decodes."""
    import imagehash

    from twinlens.training.data.features import load_photo

    return np.stack(
        [
            imagehash.phash(load_photo(split.data.folder / f)).hash.flatten().astype(np.uint8)
            for f in split.files
        ]
    )


def summary(result: dict[str, object], which: str = "calibration") -> str:
    per_kind = result[which]
    assert isinstance(per_kind, dict)
    values = np.array(list(per_kind.values()))
    light = [v for k, v in per_kind.items() if not k.startswith(("crop_60", "crop_50"))]
    worst = sorted(per_kind.items(), key=lambda kv: kv[1])[:6]
    return (
        f"{result['code']}: radius {result['radius']}, mean {values.mean():.3f}, "
        f"min (crops >= 70 %) {min(light):.2f}; worst "
        + ", ".join(f"{k} {v:.2f}" for k, v in worst)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--views", type=int, default=DUPLICATE.view_count)
    parser.add_argument("--sweep", nargs="*", default=[], help="config overrides as JSON")
    parser.add_argument("--peers", action="store_true", help="semantic code, pHash and ITQ too")
    parser.add_argument("--density", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    cal, rep = edit_files("calibration"), edit_files("report")
    results = []
    views = edit_views(args.views)
    for overrides in args.sweep or ["{}"]:
        config = DUPLICATE.with_(view_count=args.views, **json.loads(overrides))
        trained = train_duplicate(config, views)
        result = score(f"duplicate {overrides}", _codes_of(trained.encode), cal, rep)
        if args.density:
            pairs, seconds = density(trained.encode, int(result["radius"]))  # type: ignore[call-overload]
            result |= {"cifar_pairs": pairs, "all_pairs_seconds": round(seconds, 2)}
        results.append(result)
        print(summary(result), flush=True)
    if args.peers:
        train = load_or_compute("cifar10_train").astype(np.float32)
        semantic = fit(SHIPPED, Split(train, cifar_labels()[0]), log=False)
        itq = fit_itq(train, 64)
        peers = [
            score("semantic (shipped +NC)", lambda s: semantic.encode(s.features), cal, rep),
            score("ITQ-64", lambda s: itq.encode(s.features), cal, rep),
            score("pHash", phash_codes, cal, rep),
        ]
        for result in peers:
            print(summary(result), flush=True)
        results += peers
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
