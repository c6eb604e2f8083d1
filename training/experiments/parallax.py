"""How the geometric step's measurements fall on true edits and on other shots of one object.

Reads a library that the edits evaluation left behind (``python -m
twinlens.training.calibration.duplicates --split calibration``: its cached verdicts name every
pair the ladder looked at) and measures each pair again, directly: keypoint alignment, the
overlap's block agreement (pixels.overlap_agreement) and the residual displacement of its
blocks after one similarity (parallax.residual_shift). It prints the percentiles of each for
the true edits that pass the overlap rules and for the other shots, which is how
``verify.MAX_PARALLAX`` was chosen (on the calibration half only).

    python -m twinlens.training.experiments.parallax --split calibration [--model FILE]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinlens.engine.matching import verify
from twinlens.engine.matching.evidence import load_grey
from twinlens.engine.matching.parallax import residual_shift
from twinlens.engine.matching.pixels import (
    LocalFeatures,
    local_alignment,
    local_features,
    overlap_agreement,
    overlay,
)
from twinlens.engine.paths import from_bytes
from twinlens.training.calibration.duplicates import WORK, Dataset, build

PERCENTILES = (0, 1, 5, 50, 95, 99, 100)


@dataclass(frozen=True)
class Measured:
    same_photo: bool
    """Both files come from one original (a true edit) rather than two shots."""
    passes_overlap: bool
    """The overlap rules of verify.geometric_verdict, all but the parallax one, pass."""
    residual: float


def looked_at(library: Path, data: Dataset) -> list[tuple[str, str, bool]]:
    """File names of the pairs the ladder looked at that matter here: every edit it verified
    geometrically or rejected, and every pair of other shots of one object."""
    db = sqlite3.connect(library)
    name_of: dict[str, str] = {}
    for path, content in db.execute("select path, hash from photos where hash is not null"):
        text = from_bytes(path) if isinstance(path, bytes) else path
        name_of.setdefault(content, Path(text).name)
    pairs = []
    for low, high, tier, edit in db.execute("select low, high, tier, edit from verdicts"):
        a, b = name_of.get(low), name_of.get(high)
        if a is None or b is None or a not in data.source or b not in data.source:
            continue
        same = data.source[a] == data.source[b]
        change = json.loads(edit) if edit else {}
        geometric = bool(tier) and (
            change.get("angle", 0) != 0
            or change.get("covers", 1) < 1
            or change.get("covered", 1) < 1
            or change.get("overlay", False)
        )
        group_a, group_b = data.group.get(a), data.group.get(b)
        other_shot = not same and group_a is not None and group_a == group_b
        if (same and (geometric or not tier)) or other_shot:  # not tier: a rejected edit
            pairs.append((a, b, same))
    return pairs


def measure(folder: Path, pairs: list[tuple[str, str, bool]]) -> list[Measured]:
    features: dict[str, LocalFeatures | None] = {}

    def of(name: str) -> LocalFeatures | None:
        if name not in features:
            picture = verify.Picture(0, 0, None, (str(folder / name),))
            grey = load_grey(picture)
            features[name] = local_features(grey) if grey is not None else None
            if len(features) > 512:  # keep memory flat: drop the oldest
                features.pop(next(iter(features)))
        return features[name]

    found = []
    for a, b, same in pairs:
        first, second = of(a), of(b)
        if first is None or second is None:
            continue
        alignment = local_alignment(first, second)
        if alignment is None or alignment.inliers < verify.MIN_INLIERS:
            continue
        layers = overlay(first.grey, second.grey, alignment)
        overlap = overlap_agreement(layers)
        passes = (
            overlap.blocks >= verify.OVERLAP_BLOCKS
            and overlap.close >= verify.OVERLAP_CLOSE
            and overlap.median_ncc >= verify.OVERLAP_MEDIAN
            and overlap.coverage_first >= verify.MIN_OVERLAP
            and overlap.textured >= 8
        )
        found.append(Measured(same, passes, residual_shift(layers).residual))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="calibration", choices=["calibration", "report"])
    parser.add_argument("--model", type=Path, help="the model the evaluation was run with")
    args = parser.parse_args()
    data = build(args.split)
    suffix = f"-{args.model.stem}" if args.model else ""
    pairs = looked_at(WORK / f"{args.split}{suffix}.twinlens", data)
    started = time.perf_counter()
    found = measure(data.folder, pairs)
    print(f"{len(found)} pairs measured in {time.perf_counter() - started:.0f} s")
    rows = {
        "true edits passing the overlap rules": [
            m for m in found if m.same_photo and m.passes_overlap
        ],
        "other shots passing the overlap rules": [
            m for m in found if not m.same_photo and m.passes_overlap
        ],
        "all other shots aligned": [m for m in found if not m.same_photo],
    }
    print(f"residual displacement (px), percentiles {PERCENTILES}")
    for label, chosen in rows.items():
        values = np.array([m.residual for m in chosen])
        shown = np.round(np.percentile(values, PERCENTILES), 3).tolist() if len(values) else []
        print(f"  {label} ({len(values)}): {shown}")
        if len(values) and "other" in label:
            above = int((values > verify.MAX_PARALLAX).sum())
            print(f"    above MAX_PARALLAX {verify.MAX_PARALLAX}: {above}")


if __name__ == "__main__":
    main()
