"""The edits people make to photos, and the real photos they are made of.

Shared by the calibration (which measures the engine's rule on them, end to end through the
files it writes) and the experiments (which score codes alone on them), so every figure is
measured on the same copies. Every edit is a pure function of the photo (and of its name,
for the seeded ones), so a copy can be made again exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from twinlens.training.data.features import PHOTO_DIR

Edit = Callable[[Image.Image], Image.Image]


def _reencode(image: Image.Image, fmt: str, **options: object) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def _scale(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _crop(image: Image.Image, keep: float, where: str = "centre") -> Image.Image:
    """Keep ``keep`` of the area, same aspect; centred or towards a corner (off-centre)."""
    side = math.sqrt(keep)
    w, h = round(image.width * side), round(image.height * side)
    if where == "centre":
        left, top = (image.width - w) // 2, (image.height - h) // 2
    else:  # a tenth of the margin from the top-left corner: clearly off-centre
        left, top = (image.width - w) // 10, (image.height - h) // 10
    return image.crop((left, top, left + w, top + h))


def _tilt(image: Image.Image, degrees: float, fill: bool) -> Image.Image:
    """Rotated in place: with black corners (``fill``), or cropped to the inner rectangle."""
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    if fill:
        return turned
    angle = math.radians(abs(degrees))
    w, h = image.size
    # The largest axis-aligned rectangle of the same aspect inside the rotated frame.
    scale = 1 / (math.cos(angle) + max(w, h) / min(w, h) * math.sin(angle))
    iw, ih = round(w * scale), round(h * scale)
    left, top = (w - iw) // 2, (h - ih) // 2
    return turned.crop((left, top, left + iw, top + ih))


def _letterbox(image: Image.Image) -> Image.Image:
    """Black bars that pad the photo to 16:9 (or 9:16), as a video or a slideshow does."""
    w, h = image.size
    target = 16 / 9 if w >= h else 9 / 16
    size = (round(h * target), h) if w / h < target else (w, round(w / target))
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(image, ((size[0] - w) // 2, (size[1] - h) // 2))
    return canvas


def _border(image: Image.Image) -> Image.Image:
    """A white frame of 6 % of the shorter side, as a print or a social post adds."""
    pad = round(min(image.size) * 0.06)
    return ImageOps.expand(image, border=pad, fill=(250, 250, 250))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(10, size))


def _watermark(image: Image.Image) -> Image.Image:
    """A translucent box with a copyright line in the bottom-right corner (~3 % of the area)."""
    out = image.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    box = (round(w * 0.70), round(h * 0.90), round(w * 0.98), round(h * 0.98))
    draw.rectangle(box, fill=(255, 255, 255, 140))
    draw.text(
        (box[0] + 6, box[1] + 2),
        "© Twinlens 2024",
        fill=(0, 0, 0, 230),
        font=_font(round(h * 0.05)),
    )
    return out


def _caption(image: Image.Image) -> Image.Image:
    """A line of white text across the lower part, as a meme or a greeting card adds."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    text = "Happy holidays from all of us!"
    font = _font(round(h * 0.08))
    draw.text(
        (w * 0.06, h * 0.80),
        text,
        fill=(255, 255, 255),
        font=font,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    return out


def _sepia(image: Image.Image) -> Image.Image:
    grey = ImageOps.grayscale(image)
    return ImageOps.colorize(grey, black=(40, 26, 13), white=(255, 236, 196))


def _noise(image: Image.Image) -> Image.Image:
    seed = int.from_bytes(hashlib.blake2b(image.tobytes()[:4096], digest_size=4).digest(), "big")
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + np.random.default_rng(seed).normal(0, 8, pixels.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


@dataclass(frozen=True)
class EditKind:
    """One kind of edit: how to make it, how to save it, and what the engine should call it."""

    name: str
    make: Edit
    fmt: str = "JPEG"
    """How the copy is saved: JPEG (quality 92), PNG, WEBP, HEIC, or EXIF (see below)."""
    group: str = "light"
    """light: must be found (recall target 0.99); geometry: crops, tilts, overlays (0.95);
    hard: crops keeping 50-60 % (0.80)."""


def _jpeg(quality: int) -> Edit:
    return lambda im: _reencode(im, "JPEG", quality=quality)


def _rotated(transpose: Image.Transpose) -> Edit:
    return lambda im: im.transpose(transpose)


KINDS: tuple[EditKind, ...] = (
    *(EditKind(f"jpeg_q{q}", _jpeg(q)) for q in (10, 20, 40, 70, 95)),
    *(EditKind(f"resize_{p}", lambda im, p=p: _scale(im, p / 100)) for p in (10, 25, 40, 70)),
    EditKind("png", lambda im: im, "PNG"),
    EditKind("webp", lambda im: im, "WEBP"),
    EditKind("heic", lambda im: im, "HEIC"),
    EditKind("blur", lambda im: im.filter(ImageFilter.GaussianBlur(2))),
    EditKind("blur_downscale", lambda im: _scale(im.filter(ImageFilter.GaussianBlur(2)), 0.5)),
    EditKind("noise", _noise),
    EditKind("bright_+30", lambda im: ImageEnhance.Brightness(im).enhance(1.3)),
    EditKind("bright_-30", lambda im: ImageEnhance.Brightness(im).enhance(0.7)),
    EditKind("contrast_+30", lambda im: ImageEnhance.Contrast(im).enhance(1.3)),
    EditKind("contrast_-30", lambda im: ImageEnhance.Contrast(im).enhance(0.7)),
    EditKind("greyscale", lambda im: im.convert("L").convert("RGB")),
    EditKind("sepia", _sepia),
    EditKind("saturation_+50", lambda im: ImageEnhance.Color(im).enhance(1.5)),
    EditKind("mirror", ImageOps.mirror),
    EditKind("rotate_90", _rotated(Image.Transpose.ROTATE_90)),
    EditKind("rotate_180", _rotated(Image.Transpose.ROTATE_180)),
    EditKind("rotate_270", _rotated(Image.Transpose.ROTATE_270)),
    EditKind("exif_orientation", lambda im: im, "EXIF"),
    *(
        EditKind(
            f"crop_{k}{'_off' if w != 'centre' else ''}",
            lambda im, k=k, w=w: _crop(im, k / 100, w),
            group="geometry" if k >= 70 else "hard",
        )
        for k in (95, 90, 80, 70, 60, 50)
        for w in ("centre", "corner")
    ),
    *(
        EditKind(
            f"tilt_{d}{'' if fill else '_cropped'}",
            lambda im, d=d, f=fill: _tilt(im, d, f),
            group="geometry" if d <= 10 else "hard",
        )
        for d in (2, 5, 10, 15)
        for fill in (True, False)
    ),
    EditKind("letterbox", _letterbox, group="geometry"),
    EditKind("border", _border, group="geometry"),
    EditKind("watermark", _watermark, group="geometry"),
    EditKind("caption", _caption, group="geometry"),
)
"""Every edit kind measured (docs/calibration.md)."""
BY_NAME = {kind.name: kind for kind in KINDS}


def save_edit(kind: EditKind, image: Image.Image, stem: str, folder: object) -> str:
    """Make ``kind`` of ``image`` and write it as a file named after ``stem``; returns its
    file name. ``EXIF`` writes the photo turned a quarter with an EXIF orientation that turns
    it back: the pixels on disk differ, the photo a viewer shows does not."""
    from pathlib import Path

    out = Path(str(folder))
    edited = kind.make(image)
    if kind.fmt == "EXIF":
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90 clockwise to display"
        name = f"{stem}.{kind.name}.jpg"
        edited.transpose(Image.Transpose.ROTATE_90).save(
            out / name, "JPEG", quality=92, exif=exif.tobytes()
        )
        return name
    if kind.fmt == "HEIC":
        import pillow_heif

        pillow_heif.register_heif_opener()
        name = f"{stem}.{kind.name}.heic"
        edited.save(out / name, "HEIF", quality=90)
        return name
    suffix = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[kind.fmt]
    name = f"{stem}.{kind.name}.{suffix}"
    options: dict[str, object] = {"quality": 92} if kind.fmt in ("JPEG", "WEBP") else {}
    edited.convert("RGB").save(out / name, kind.fmt, **options)
    return name


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


def split(photos: list[tuple[str, int | None]]) -> tuple[list[int], list[int]]:
    """(calibration, report) indices of ``photos``: every other Kodak photo and every other
    UKBench object group, so thresholds are chosen on half the photos and reported on the
    other half, and other shots of one object never straddle the two."""
    calibration, report = [], []
    kodak = 0
    for index, (_, group) in enumerate(photos):
        if group is None:
            (calibration if kodak % 2 == 0 else report).append(index)
            kodak += 1
        else:
            (calibration if group % 2 == 0 else report).append(index)
    return calibration, report


# The in-memory edits the codes-only experiments (experiments/neardup.py) score: a subset of
# KINDS, applied to pixels without writing files.
EDITS: dict[str, Edit] = {
    "jpeg_q70": _jpeg(70),
    "jpeg_q40": _jpeg(40),
    "downscale_50": lambda im: _scale(im, 0.5),
    "downscale_25": lambda im: _scale(im, 0.25),
    "png": lambda im: _reencode(im, "PNG"),
    "webp": lambda im: _reencode(im, "WEBP", quality=80),
    "crop_90": lambda im: _crop(im, 0.81),
    "crop_80": lambda im: _crop(im, 0.64),
    "bright_+20": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "bright_-20": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
    "grayscale": lambda im: im.convert("L").convert("RGB"),
    "watermark": _watermark,
    "rotate_5": lambda im: im.rotate(5, resample=Image.Resampling.BICUBIC),
    "mirror": ImageOps.mirror,
}
SAME_PHOTO_EDITS = ("jpeg_q70", "jpeg_q40", "downscale_50", "downscale_25", "png", "webp")
