"""How the geometric step's last rules fall on true edits and on other shots of one object.

Reads a library that the edits evaluation left behind (``python -m
twinlens.training.calibration.duplicates --split calibration``: its cached verdicts name every
pair the ladder looked at) and measures each pair again, directly: keypoint alignment, the
overlap's block agreement (pixels.overlap_agreement), the residual displacement of its
blocks after one similarity (parallax.residual_shift), and the textured content that the
picture nearer to being inside the other shows beyond it (containment.exclusive_content). It
prints the percentiles of each for the true edits that pass the overlap rules and for the
other shots, which is how ``verify.MAX_PARALLAX`` and ``verify.MAX_EXCLUSIVE`` were chosen
(on the calibration half only).

    python -m twinlens.training.experiments.geometric_rules --split calibration [--model FILE]
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
from twinlens.engine.matching.containment import exclusive_content
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
    exclusive: float
    kind: str
    """The edit kind of the copy ("" for other shots)."""


def looked_at(library: Path, data: Dataset) -> list[tuple[str, str, bool]]:
    """File names of the pairs the ladder looked at that matter here: every edit it verified
    geometrically or rejected against its original, and every pair of other shots of one
    object."""
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
        against_original = not data.kind[a] or not data.kind[b]
        # True edits against their original only: two copies of one photo (two different
        # crops) need not hold each other, and groups are verified against their keeper.
        if (same and against_original and (geometric or not tier)) or other_shot:
            pairs.append((a, b, same))
    return pairs


def measure(data: Dataset, pairs: list[tuple[str, str, bool]]) -> list[Measured]:
    folder = data.folder
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
        residual = residual_shift(layers).residual
        exclusive = exclusive_content(first.grey, second.grey, alignment).least
        kind = (data.kind[a] or data.kind[b]) if same else ""
        found.append(Measured(same, passes, residual, exclusive, kind))
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
    found = measure(data, pairs)
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
    rules = (
        ("residual displacement (px)", "residual", verify.MAX_PARALLAX, "MAX_PARALLAX"),
        ("exclusive textured content", "exclusive", verify.MAX_EXCLUSIVE, "MAX_EXCLUSIVE"),
    )
    for title, attribute, limit, name in rules:
        print(f"{title}, percentiles {PERCENTILES}")
        for label, chosen in rows.items():
            values = np.array([getattr(m, attribute) for m in chosen])
            shown = np.round(np.percentile(values, PERCENTILES), 3).tolist() if len(values) else []
            print(f"  {label} ({len(values)}): {shown}")
            if len(values):
                print(f"    above {name} {limit}: {int((values > limit).sum())}")
    print("largest exclusive content of a true edit passing the overlap rules, by kind")
    worst: dict[str, float] = {}
    for m in rows["true edits passing the overlap rules"]:
        worst[m.kind] = max(worst.get(m.kind, 0.0), m.exclusive)
    for kind, value in sorted(worst.items(), key=lambda item: -item[1])[:12]:
        print(f"  {kind}: {value:.3f}")


if __name__ == "__main__":
    main()
