"""Calibrate the engine's duplicate tiers as it really decides them: code radius + signature.

The first model's 64-bit codes alone cannot tell an edited copy from another shot of the same
object (docs/calibration.md: at 0.99 precision only radius 0 survives). The engine therefore
takes code matches within a candidate radius and verifies them by pixel structure
(engine/signature.py). This script measures that rule per edit kind on the real photos, with
UKBench's other shots of the same object as hard negatives, side by side with imagehash's
pHash in the same run, chooses the candidate radius, and writes radii and measured precision
into the model file's metadata.

    python -m twinlens.training.calibration.verified [--write]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

from twinlens.engine.matching.groups import classify_pairs
from twinlens.engine.media.signature import distances as signature_distances
from twinlens.engine.media.signature import signature
from twinlens.engine.model.encoder import shipped_model_path
from twinlens.engine.tiers import TIER_EDITED_COPY, TIER_SAME_PHOTO
from twinlens.training.data.features import PHOTO_DIR, load_photo
from twinlens.training.export.onnx import ort_session, read_meta, run_bits, write_metadata

from .edits import EDITS, originals
from .radii import SIMILAR_MAX_UNRELATED, SIMILAR_PRECISION

KINDS = {**EDITS, "rotate_90": lambda im: im.transpose(Image.Transpose.ROTATE_90)}
LIGHT = (
    "jpeg_q70",
    "jpeg_q40",
    "downscale_50",
    "downscale_25",
    "png",
    "webp",
    "bright_+20",
    "bright_-20",
)
MAX_CANDIDATE_RADIUS = 12  # beyond this, all-pairs search over a big library gets slow


def measure(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Per pair kind: code distance, signature distance and pHash distance."""
    import imagehash

    meta, session = read_meta(path), ort_session(path)
    photos = originals()
    codes, sigs, phashes = [], [], []
    edits: dict[str, dict[str, list[int]]] = {
        k: {"code": [], "sig": [], "phash": []} for k in KINDS
    }
    for name, _ in photos:
        image = load_photo(PHOTO_DIR / name)
        variants = [image] + [edit(image) for edit in KINDS.values()]
        bits = run_bits(session, meta, variants)
        blocks = np.stack([signature(v) for v in variants]).astype(np.float32)
        hashes = [imagehash.phash(v) for v in variants]
        codes.append(bits[0])
        sigs.append(blocks[0])
        phashes.append(hashes[0])
        sig_d = signature_distances(np.repeat(blocks[:1], len(KINDS), 0), blocks[1:])
        for k, kind in enumerate(KINDS):
            edits[kind]["code"].append(int((bits[k + 1] != bits[0]).sum()))
            edits[kind]["sig"].append(int(sig_d[k]))
            edits[kind]["phash"].append(int(hashes[k + 1] - hashes[0]))
    out = {kind: {m: np.array(v) for m, v in d.items()} for kind, d in edits.items()}
    pairs: dict[str, dict[str, list[int]]] = {
        "same_object": {"code": [], "sig": [], "phash": []},
        "unrelated": {"code": [], "sig": [], "phash": []},
    }
    blocks = np.stack(sigs)
    for (i, (_, gi)), (j, (_, gj)) in combinations(enumerate(photos), 2):
        bucket = pairs["same_object" if gi is not None and gi == gj else "unrelated"]
        bucket["code"].append(int((codes[i] != codes[j]).sum()))
        bucket["sig"].append(int(signature_distances(blocks[i : i + 1], blocks[j : j + 1])[0]))
        bucket["phash"].append(int(phashes[i] - phashes[j]))
    out.update({k: {m: np.array(v) for m, v in d.items()} for k, d in pairs.items()})
    return out


def predicted(d: dict[str, np.ndarray], radius: int, tiers: tuple[str, ...]) -> np.ndarray:
    """Which pairs the engine's rule (groups.classify_pairs) puts in one of ``tiers`` when
    both duplicate tiers use the candidate ``radius``."""
    radii = {TIER_SAME_PHOTO: radius, TIER_EDITED_COPY: radius, "similar_shot": radius}
    return np.isin(classify_pairs(d["code"], d["sig"], radii), tiers)


DUPLICATE = (TIER_SAME_PHOTO, TIER_EDITED_COPY)
SAME = (TIER_SAME_PHOTO,)


Pairs = dict[str, np.ndarray]
Hit = Callable[[Pairs], np.ndarray]


def precision(data: dict[str, Pairs], hit: Hit) -> tuple[float, int, int]:
    tp = sum(int(hit(data[k]).sum()) for k in KINDS)
    fp = int(hit(data["same_object"]).sum()) + int(hit(data["unrelated"]).sum())
    return (tp / (tp + fp) if tp + fp else 1.0), tp, fp


def choose_radius(data: dict[str, dict[str, np.ndarray]]) -> int:
    """The largest candidate radius (capped) whose verified duplicates keep 0.99 precision."""
    best = 0
    for radius in range(MAX_CANDIDATE_RADIUS + 1):
        if precision(data, partial(predicted, radius=radius, tiers=DUPLICATE))[0] >= 0.99:
            best = radius
    return best


def similar_precision(data: dict[str, dict[str, np.ndarray]], radius: int) -> float:
    """Precision of "similar or duplicate" by code alone: edits + same object vs unrelated."""
    tp = sum(int((data[k]["code"] <= radius).sum()) for k in [*KINDS, "same_object"])
    fp = int((data["unrelated"]["code"] <= radius).sum())
    return tp / (tp + fp) if tp + fp else 1.0


def choose_similar_radius(data: dict[str, dict[str, np.ndarray]], bits: int) -> int:
    """The similar-shot rule (calibration/radii.py): the largest radius (every smaller one passing
    too) with at most 0.1 % of unrelated pairs inside and "similar or duplicate" precision
    >= 0.9. Measured per model, never carried over from another model."""
    unrelated = data["unrelated"]["code"]
    radius = 0
    while radius < bits and (
        (unrelated <= radius + 1).mean() <= SIMILAR_MAX_UNRELATED
        and similar_precision(data, radius + 1) >= SIMILAR_PRECISION
    ):
        radius += 1
    return radius


def _phash_within(d: Pairs, threshold: int) -> np.ndarray:
    return d["phash"] <= threshold


def best_phash_threshold(data: dict[str, dict[str, np.ndarray]]) -> int:
    """pHash's most permissive threshold that still keeps 0.99 precision (its best showing)."""
    best = 0
    for t in range(33):
        if precision(data, partial(_phash_within, threshold=t))[0] >= 0.99:
            best = t
    return best


def report(
    data: dict[str, dict[str, np.ndarray]], radius: int, similar_radius: int, phash_t: int
) -> dict[str, float]:
    def same(d: Pairs) -> np.ndarray:
        return predicted(d, radius, SAME)

    def edited(d: Pairs) -> np.ndarray:
        return predicted(d, radius, DUPLICATE)

    print(
        f"\ncandidate code radius {radius}, verified as the engine does"
        f" (groups.classify_pairs); pHash threshold {phash_t} (its best at 0.99)"
    )
    print(f"{'pairs':14s} {'n':>5s} {'twinlens dup':>13s} {'same photo':>11s} {'pHash':>7s}")
    for kind in [*KINDS, "same_object", "unrelated"]:
        d = data[kind]
        print(
            f"{kind:14s} {len(d['code']):5d} {edited(d).mean():13.3f} {same(d).mean():11.3f}"
            f" {(d['phash'] <= phash_t).mean():7.3f}"
        )
    p_edit, tp, fp = precision(data, edited)
    p_same, tp_s, fp_s = precision(data, same)
    p_ph, tp_p, fp_p = precision(data, lambda d: d["phash"] <= phash_t)
    light = np.mean([edited(data[k]).mean() for k in LIGHT])
    print(
        f"precision: twinlens duplicates {p_edit:.4f} ({tp} true, {fp} false), same photo "
        f"{p_same:.4f} ({tp_s}/{fp_s}), pHash {p_ph:.4f} ({tp_p}/{fp_p})"
    )
    print(
        f"mean recall on resize/recompression/format/brightness: twinlens {light:.3f}, pHash "
        f"{np.mean([(data[k]['phash'] <= phash_t).mean() for k in LIGHT]):.3f}"
    )
    sim = data["same_object"]["code"] <= similar_radius
    unrel = data["unrelated"]["code"] <= similar_radius
    p_sim = similar_precision(data, similar_radius)
    print(
        f"similar shot radius {similar_radius}: {sim.mean():.3f} of same-object pairs,"
        f" {int(unrel.sum())} of {len(unrel)} unrelated pairs; similar-or-duplicate"
        f" precision {p_sim:.4f}"
    )
    return {
        "same_photo": round(p_same, 4),
        "edited_copy": round(p_edit, 4),
        "similar_shot": round(float(p_sim), 4),
    }


def calibrate(path: Path) -> tuple[dict[str, int], dict[str, float]]:
    """Measure the model file at ``path``; returns its tier radii and their precision."""
    data = measure(path)
    radius = choose_radius(data)
    similar = choose_similar_radius(data, read_meta(path).bits)
    measured = report(data, radius, similar, best_phash_threshold(data))
    radii = {"same_photo": radius, "edited_copy": radius, "similar_shot": similar}
    return radii, measured


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
