"""The edits people make to photos, made in memory, and the real photos they are made of.

Shared by the calibration (which measures the engine's rule on them) and the experiments
(which score codes alone on them), so every figure is measured on the same copies.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from twinlens.training.data.features import PHOTO_DIR


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
KINDS: dict[str, Callable[[Image.Image], Image.Image]] = {
    **EDITS,
    "rotate_90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
}
"""Every edit kind, quarter turns included."""
SAME_PHOTO_EDITS = ("jpeg_q70", "jpeg_q40", "downscale_50", "downscale_25", "png", "webp")


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
