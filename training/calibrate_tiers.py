"""Measure the Hamming radii of the duplicate tiers instead of guessing them.

Why: a radius is only meaningful for one model, so every model file carries its own
(``engine/model_meta.py``). This module encodes real photos and edited copies made in memory
with the exported ONNX model (onnxruntime, the shared preprocessing, exactly as the app runs),
and chooses each radius from the measured distances:

* ``same_photo``: covers resizing, recompression and format changes (largest distance seen
  for those edits), but never beyond the ``edited_copy`` radius.
* ``edited_copy``: the largest radius up to which pair precision, edited copies (all kinds)
  against different shots of one UKBench object plus unrelated photos, stays >= 0.99.
* ``similar_shot``: the largest radius up to which at most 0.1 % of unrelated pairs fall
  (so it stays clearly below the unrelated distribution) and precision of "similar or
  duplicate" (edits + same-object pairs against unrelated pairs) stays >= 0.9; the report
  shows how many same-object UKBench pairs it catches.

Run ``python -m twinlens.training.calibrate_tiers`` to re-measure the shipped file and write
the radii and precisions into its metadata; ``export_first_model`` calls ``calibrate``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from twinlens.engine.model.meta import (
    TIER_EDITED_COPY,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    ModelMeta,
)
from twinlens.engine.model.preprocess import to_batch

from .features import PHOTO_DIR, load_photo

DUP_PRECISION = 0.99
SIMILAR_PRECISION = 0.9
SIMILAR_MAX_UNRELATED = 0.001


def _reencode(image: Image.Image, fmt: str, **options: object) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _scale(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _crop(image: Image.Image, keep: float) -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    left, top = (image.width - w) // 2, (image.height - h) // 2
    return image.crop((left, top, left + w, top + h))


def _watermark(image: Image.Image) -> Image.Image:
    """A translucent box with a copyright line in the bottom-right corner (~3 % of the area)."""
    out = image.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    box = (round(w * 0.70), round(h * 0.90), round(w * 0.98), round(h * 0.98))
    draw.rectangle(box, fill=(255, 255, 255, 140))
    font = ImageFont.load_default(size=max(10, round(h * 0.05)))
    draw.text((box[0] + 6, box[1] + 2), "© Twinlens 2024", fill=(0, 0, 0, 230), font=font)
    return out


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg_q70": lambda im: _reencode(im, "JPEG", quality=70),
    "jpeg_q40": lambda im: _reencode(im, "JPEG", quality=40),
    "downscale_50": lambda im: _scale(im, 0.5),
    "downscale_25": lambda im: _scale(im, 0.25),
    "png": lambda im: _reencode(im, "PNG"),
    "webp": lambda im: _reencode(im, "WEBP", quality=80),
    "crop_90": lambda im: _crop(im, 0.9),
    "crop_80": lambda im: _crop(im, 0.8),
    "bright_+20": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "bright_-20": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
    "grayscale": lambda im: im.convert("L").convert("RGB"),
    "watermark": _watermark,
    "rotate_5": lambda im: im.rotate(5, resample=Image.Resampling.BICUBIC),
    "mirror": ImageOps.mirror,
}
SAME_PHOTO_EDITS = ("jpeg_q70", "jpeg_q40", "downscale_50", "downscale_25", "png", "webp")
SIMILAR = "ukbench_same_object"
UNRELATED = "unrelated"


@dataclass
class Calibration:
    """Measured distances and the radii chosen from them."""

    distances: dict[str, np.ndarray]
    radii: dict[str, int] = field(default_factory=dict)
    precision: dict[str, float] = field(default_factory=dict)


def originals() -> list[tuple[str, int | None]]:
    """(path relative to PHOTO_DIR, UKBench group or None) of every original photo."""
    out: list[tuple[str, int | None]] = [
        (f"kodak/{p.name}", None) for p in sorted((PHOTO_DIR / "kodak").glob("*.png"))
    ]
    with (PHOTO_DIR / "ukbench" / "groups.csv").open() as handle:
        out += [(f"ukbench/{r['filename']}", int(r["group"])) for r in csv.DictReader(handle)]
    # imagededup's originals: each from a different UKBench group outside 0-13.
    for p in sorted((PHOTO_DIR / "imagededup_ukbench").glob("*.jpg")):
        if "_" not in p.stem:
            out.append((f"imagededup_ukbench/{p.name}", 10_000 + int(p.stem[-5:])))
    return out


def _encode(session: object, meta: ModelMeta, images: list[Image.Image]) -> np.ndarray:
    (bits,) = session.run(["bits"], {"image": to_batch(images, meta.preprocess)})
    return bits.astype(bool)


def _hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.count_nonzero(a != b, axis=-1)


def ort_session(path: Path) -> object:
    """An onnxruntime CPU session on 2 threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def read_meta(path: Path) -> ModelMeta:
    """The Twinlens metadata of an ONNX model file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return ModelMeta.from_props({p.key: p.value for p in model.metadata_props})


def measure(path: Path) -> dict[str, np.ndarray]:
    """Hamming distances per edit kind, same-object UKBench pairs and unrelated pairs."""
    meta = read_meta(path)
    sess = ort_session(path)
    photos = originals()
    per_edit: dict[str, list[int]] = {name: [] for name in EDITS}
    codes = []
    for index, (name, _) in enumerate(photos):
        image = load_photo(PHOTO_DIR / name)
        bits = _encode(sess, meta, [image] + [edit(image) for edit in EDITS.values()])
        codes.append(bits[0])
        for kind, dist in zip(EDITS, _hamming(bits[1:], bits[0]), strict=True):
            per_edit[kind].append(int(dist))
        if index % 15 == 14:
            print(f"calibration: encoded {index + 1}/{len(photos)} photos and their edits")
    distances = {kind: np.array(v) for kind, v in per_edit.items()}
    # imagededup's own edits of ukbench00120 (informative only, not used to choose radii).
    names = [n for n, _ in photos]
    if "imagededup_ukbench/ukbench00120.jpg" in names:
        base = codes[names.index("imagededup_ukbench/ukbench00120.jpg")]
        for kind in ("hflip", "resize", "rotation", "gray"):
            edited = load_photo(PHOTO_DIR / f"imagededup_ukbench/ukbench00120_{kind}.jpg")
            distances[f"imagededup_{kind}"] = _hamming(_encode(sess, meta, [edited]), base)
    similar, unrelated = [], []
    for (i, (_, gi)), (j, (_, gj)) in combinations(enumerate(photos), 2):
        d = int(_hamming(codes[i], codes[j]))
        (similar if gi is not None and gi == gj else unrelated).append(d)
    distances[SIMILAR] = np.array(similar)
    distances[UNRELATED] = np.array(unrelated)
    return distances


def _within(d: np.ndarray, r: int) -> int:
    return int(np.count_nonzero(d <= r))


def duplicate_precision(distances: dict[str, np.ndarray], r: int) -> float:
    """Precision at radius r of "duplicate": every edit kind vs same-object and unrelated."""
    tp = sum(_within(distances[k], r) for k in EDITS)
    fp = _within(distances[SIMILAR], r) + _within(distances[UNRELATED], r)
    return tp / (tp + fp) if tp + fp else 1.0


def similar_precision(distances: dict[str, np.ndarray], r: int) -> float:
    """Precision at radius r of "similar or duplicate": edits + same-object vs unrelated."""
    tp = sum(_within(distances[k], r) for k in EDITS) + _within(distances[SIMILAR], r)
    fp = _within(distances[UNRELATED], r)
    return tp / (tp + fp) if tp + fp else 1.0


def _last_passing(start: int, stop: int, ok: Callable[[int], bool]) -> int:
    """The largest r in [start, stop] such that ok holds for every radius from start to r."""
    r = start
    while r < stop and ok(r + 1):
        r += 1
    return r


def choose_radii(distances: dict[str, np.ndarray], bits: int) -> dict[str, int]:
    """Apply the rules in the module docstring to the measured distances."""
    edited = _last_passing(0, bits, lambda r: duplicate_precision(distances, r) >= DUP_PRECISION)
    same = min(max(int(distances[k].max()) for k in SAME_PHOTO_EDITS), edited)
    unrelated = distances[UNRELATED]
    similar = _last_passing(
        edited,
        bits,
        lambda r: (
            _within(unrelated, r) / len(unrelated) <= SIMILAR_MAX_UNRELATED
            and similar_precision(distances, r) >= SIMILAR_PRECISION
        ),
    )
    return {TIER_SAME_PHOTO: same, TIER_EDITED_COPY: edited, TIER_SIMILAR_SHOT: similar}


def report(calibration: Calibration) -> None:
    """Print distance distributions and recall at each chosen radius."""
    radii = calibration.radii
    head = "".join(f"  <={r:<3d}({t[:7]})" for t, r in radii.items())
    print(f"\n{'pairs':<22}{'n':>5}{'min':>5}{'med':>6}{'p95':>6}{'max':>5}{head}")
    for kind, d in calibration.distances.items():
        recall = "".join(f"{_within(d, r) / len(d):>17.3f}" for r in radii.values())
        print(
            f"{kind:<22}{len(d):>5}{d.min():>5}{np.median(d):>6.1f}"
            f"{np.percentile(d, 95):>6.1f}{d.max():>5}{recall}"
        )
    print("(columns after max: fraction of pairs within each chosen radius)")
    distances = calibration.distances
    for tier, r in radii.items():
        print(
            f"{tier} radius {r}: duplicate precision {duplicate_precision(distances, r):.4f}, "
            f"similar-or-duplicate precision {similar_precision(distances, r):.4f}"
        )


def calibrate(path: Path) -> Calibration:
    """Measure distances with the ONNX model at ``path`` and choose the tier radii."""
    distances = measure(path)
    radii = choose_radii(distances, read_meta(path).bits)
    precision = {
        TIER_SAME_PHOTO: duplicate_precision(distances, radii[TIER_SAME_PHOTO]),
        TIER_EDITED_COPY: duplicate_precision(distances, radii[TIER_EDITED_COPY]),
        TIER_SIMILAR_SHOT: similar_precision(distances, radii[TIER_SIMILAR_SHOT]),
    }
    calibration = Calibration(distances, radii, precision)
    report(calibration)
    return calibration


def main() -> None:
    """Re-calibrate the shipped model file and rewrite its metadata."""
    from .export_first_model import MODEL_PATH, make_meta, write_metadata

    calibration = calibrate(MODEL_PATH)
    write_metadata(MODEL_PATH, make_meta(calibration.radii, calibration.precision))
    print(f"wrote radii {calibration.radii} into {MODEL_PATH}")


if __name__ == "__main__":
    main()
