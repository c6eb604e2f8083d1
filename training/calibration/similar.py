"""The semantic code's similar-shot radius, measured on the exported model file itself.

Duplicates are decided by the engine's verification ladder (engine/matching/verify.py) over
candidates from several sources, never by a code radius; what the semantic code still
decides is "similar shot": two different photos of one scene or object. This measures the
code's distances, through the file (onnxruntime, the app's decoding), for:

- edits of each real photo (``edits.EDITS``), which must count as "similar or duplicate";
- other shots of the same UKBench object (the similar shots to find);
- unrelated photo pairs (the ones to keep out);

and chooses the radius by ``radii.py``'s rule: the largest with at most 0.1 % of unrelated
pairs inside and "similar or duplicate" precision >= 0.9. The duplicate tiers' code radii in
the metadata are 0: no code distance alone makes a duplicate.

    python -m twinlens.training.calibration.similar [--model FILE] [--write]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

from twinlens.engine.model.encoder import shipped_model_path
from twinlens.engine.tiers import TIER_EDITED_COPY, TIER_SAME_PHOTO, TIER_SIMILAR_SHOT
from twinlens.training.data.features import PHOTO_DIR, load_photo
from twinlens.training.export.onnx import ort_session, read_meta, run_bits, write_metadata

from .edits import EDITS, originals
from .radii import SIMILAR_MAX_UNRELATED, SIMILAR_PRECISION

SAME_OBJECT = "same_object"
UNRELATED = "unrelated"


def measure(path: Path) -> dict[str, np.ndarray]:
    """Semantic code distances per pair kind: each edit kind, same object, unrelated."""
    meta, session = read_meta(path), ort_session(path)
    photos = originals()
    codes = []
    found: dict[str, list[int]] = {kind: [] for kind in EDITS}
    for name, _ in photos:
        image = load_photo(PHOTO_DIR / name)
        bits = run_bits(session, meta, [image] + [edit(image) for edit in EDITS.values()])
        codes.append(bits[0])
        for k, kind in enumerate(EDITS):
            found[kind].append(int((bits[k + 1] != bits[0]).sum()))
    pairs: dict[str, list[int]] = {SAME_OBJECT: [], UNRELATED: []}
    for (i, (_, gi)), (j, (_, gj)) in combinations(enumerate(photos), 2):
        same = gi is not None and gi == gj
        pairs[SAME_OBJECT if same else UNRELATED].append(int((codes[i] != codes[j]).sum()))
    return {kind: np.array(d) for kind, d in (found | pairs).items()}


def similar_precision(data: dict[str, np.ndarray], radius: int) -> float:
    """Precision of "similar or duplicate" by code alone: edits + same object vs unrelated."""
    tp = sum(int((data[k] <= radius).sum()) for k in [*EDITS, SAME_OBJECT])
    fp = int((data[UNRELATED] <= radius).sum())
    return tp / (tp + fp) if tp + fp else 1.0


def choose_similar_radius(data: dict[str, np.ndarray], bits: int) -> int:
    """The largest radius (every smaller one passing too) with at most 0.1 % of unrelated
    pairs inside and "similar or duplicate" precision >= 0.9. Measured per model, never
    carried over from another model."""
    unrelated = data[UNRELATED]
    radius = 0
    while radius < bits and (
        (unrelated <= radius + 1).mean() <= SIMILAR_MAX_UNRELATED
        and similar_precision(data, radius + 1) >= SIMILAR_PRECISION
    ):
        radius += 1
    return radius


def calibrate(path: Path) -> tuple[dict[str, int], dict[str, float]]:
    """The model file's tier radii (similar shot measured, duplicates 0) and the measured
    precision of the similar-shot tier."""
    data = measure(path)
    radius = choose_similar_radius(data, read_meta(path).bits)
    precision = similar_precision(data, radius)
    same = (data[SAME_OBJECT] <= radius).mean()
    unrelated = int((data[UNRELATED] <= radius).sum())
    print(
        f"similar-shot radius {radius}: {same:.3f} of {len(data[SAME_OBJECT])} same-object "
        f"pairs, {unrelated} of {len(data[UNRELATED])} unrelated pairs inside; similar-or-"
        f"duplicate precision {precision:.4f}"
    )
    radii = {TIER_SAME_PHOTO: 0, TIER_EDITED_COPY: 0, TIER_SIMILAR_SHOT: radius}
    return radii, {TIER_SIMILAR_SHOT: round(precision, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--write", action="store_true", help="store radii and precision")
    args = parser.parse_args()
    path = args.model or shipped_model_path()
    radii, measured = calibrate(path)
    if args.write:
        write_metadata(path, replace(read_meta(path), tier_radii=radii, tier_precision=measured))
        print(f"wrote tier radii {radii} and precision {measured} into {path}")


if __name__ == "__main__":
    main()
