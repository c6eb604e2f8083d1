"""Edited views of a photo, the positives that teach the duplicate code what an edit is.

Why: the duplicate code must put a photo and every copy people make of it within a few
bits, and other photos (other shots of the same scene too) apart: instance discrimination,
with the edits people really make as the views (CIBHash's idea, a different view recipe).
Each view chains, each with its own probability:

- geometry: a crop keeping 50-95 % of the area at any position and aspect, a tilt up to 15
  degrees (black corners or cropped to the inside), or bars / a frame padding the picture;
- a mirror (half the views): mirrored copies are common, and a CNN's pooled features are
  nearly mirror-symmetric already, so invariance costs the code little. Quarter turns are
  left to the pixel signature's dihedral variants (engine.matching.candidates): a CNN's
  features change completely under a quarter turn, and turning invariance would merge
  photos that differ only by orientation;
- colour: greyscale, a warm or cool tint, brightness, contrast or saturation changes;
- an overlay: a translucent box with text in a corner, as a watermark;
- degradation: resizing to 10-100 %, JPEG quality 10-95, blur or noise.

Held out for validation (never drawn here, so the calibration measures generalisation):
sepia toning, captions across the picture, and light frames (``calibration.edits``'s
``sepia``, ``caption`` and ``border``). Every view is a pure function of (image, seed).
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

HELD_OUT = ("sepia", "caption", "border")
"""``calibration.edits`` kinds no view imitates: the validation measures them unseen."""


def duplicate_view(image: Image.Image, seed: int) -> Image.Image:
    """One random edited copy of an RGB image, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    out = image.convert("RGB")
    if rng.random() < 0.75:
        out = _geometry(out, rng)
    if rng.random() < 0.5:
        out = ImageOps.mirror(out)
    if rng.random() < 0.5:
        out = _colour(out, rng)
    if rng.random() < 0.2:
        out = _watermark(out, rng)
    if rng.random() < 0.75:
        out = _degrade(out, rng)
    return out


def _geometry(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    choice = rng.random()
    if choice < 0.6:
        return _crop(image, rng)
    if choice < 0.85:
        return _tilt(image, rng)
    return _bars(image, rng)


def _crop(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Keep 50-95 % of the area, aspect within 0.8-1.25 of the photo's, anywhere."""
    w, h = image.size
    area = rng.uniform(0.5, 0.95)
    aspect = math.exp(rng.uniform(math.log(0.8), math.log(1.25)))
    cw = min(w, max(1, round(w * math.sqrt(area * aspect))))
    ch = min(h, max(1, round(h * math.sqrt(area / aspect))))
    left = int(rng.integers(0, w - cw + 1))
    top = int(rng.integers(0, h - ch + 1))
    return image.crop((left, top, left + cw, top + ch))


def _tilt(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Rotated by up to 15 degrees: black corners, or cropped to the inner rectangle."""
    degrees = rng.uniform(-15, 15)
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        return turned
    w, h = image.size
    angle = math.radians(abs(degrees))
    scale = 1 / (math.cos(angle) + max(w, h) / min(w, h) * math.sin(angle))
    iw, ih = max(1, round(w * scale)), max(1, round(h * scale))
    left, top = (w - iw) // 2, (h - ih) // 2
    return turned.crop((left, top, left + iw, top + ih))


def _bars(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Dark bars padding the picture to a wider or taller frame (letterbox, pillarbox)."""
    w, h = image.size
    grow = rng.uniform(1.1, 1.8)
    size = (round(w * grow), h) if rng.random() < 0.5 else (w, round(h * grow))
    shade = int(rng.integers(0, 40))
    canvas = Image.new("RGB", size, (shade, shade, shade))
    canvas.paste(image, ((size[0] - w) // 2, (size[1] - h) // 2))
    return canvas


def _colour(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    choice = rng.random()
    if choice < 0.25:
        return ImageOps.grayscale(image).convert("RGB")
    if choice < 0.4:  # a warm or cool tint, as a photo app's filter
        pixels = np.asarray(image, dtype=np.float32)
        gains = np.array([1.0, 1.0, 1.0]) + rng.uniform(-0.15, 0.15, 3)
        return Image.fromarray(np.clip(pixels * gains, 0, 255).astype(np.uint8))
    enhancer = (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color)[
        int(rng.integers(0, 3))
    ]
    return enhancer(image).enhance(rng.uniform(0.6, 1.5))


def _watermark(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A translucent box with a short line of text in a corner (2-8 % of the area)."""
    out = image.copy()
    w, h = out.size
    bw, bh = round(w * rng.uniform(0.2, 0.4)), round(h * rng.uniform(0.06, 0.2))
    left = int(rng.choice([round(w * 0.02), w - bw - round(w * 0.02)]))
    top = int(rng.choice([round(h * 0.02), h - bh - round(h * 0.02)]))
    draw = ImageDraw.Draw(out, "RGBA")
    tone = int(rng.choice([0, 255]))
    draw.rectangle((left, top, left + bw, top + bh), fill=(tone, tone, tone, 120))
    font = ImageFont.load_default(size=max(8, round(bh * 0.6)))
    draw.text((left + 2, top + 1), "(c) photo", fill=(255 - tone,) * 3 + (230,), font=font)
    return out


def _degrade(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    choice = rng.random()
    if choice < 0.35:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(10, 96)))
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            return decoded.convert("RGB")
    if choice < 0.65:
        factor = rng.uniform(0.1, 1.0)
        size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
        return image.resize(size, Image.Resampling.LANCZOS)
    if choice < 0.85:
        return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + rng.normal(0, rng.uniform(2, 12), pixels.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
