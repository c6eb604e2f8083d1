"""Random photo augmentations for the contrastive views (CIBHash / SimCLR recipe, in Pillow).

Why Pillow: torchvision cannot be imported beside the pinned torch, and the views are made
once, before the frozen backbone, so their features can be cached like the originals'. Each
view of each image has its own seed (``view_seed``), so a cache is reproducible and resumable.
Recipe (CIBHash, CIFAR-10): random resized crop (scale 0.5-1, aspect 3/4-4/3), horizontal
flip (p 0.5), colour jitter of brightness / contrast / saturation 0.4 and hue 0.1 (p 0.8),
greyscale (p 0.2). The result keeps the input's size; the engine's preprocessing follows.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def view_seed(view: int, index: int) -> int:
    """A distinct, stable seed per (view, image)."""
    return (view + 1) * 1_000_003 + index


def random_resized_crop(
    image: Image.Image, rng: np.random.Generator, scale: tuple[float, float] = (0.5, 1.0)
) -> Image.Image:
    """Crop a random area fraction in ``scale`` with aspect 3/4..4/3, resized back."""
    width, height = image.size
    for _ in range(10):
        area = width * height * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w = round(math.sqrt(area * aspect))
        h = round(math.sqrt(area / aspect))
        if 0 < w <= width and 0 < h <= height:
            left = int(rng.integers(0, width - w + 1))
            top = int(rng.integers(0, height - h + 1))
            box = (left, top, left + w, top + h)
            return image.resize((width, height), Image.Resampling.BICUBIC, box=box)
    return image.copy()


def shift_hue(image: Image.Image, shift: float) -> Image.Image:
    """Rotate the hue by ``shift`` turns (-0.5..0.5)."""
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + round(shift * 255)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def colour_jitter(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Brightness, contrast, saturation (factor 0.6-1.4) and hue (+-0.1) in random order."""
    ops = [
        lambda im: ImageEnhance.Brightness(im).enhance(rng.uniform(0.6, 1.4)),
        lambda im: ImageEnhance.Contrast(im).enhance(rng.uniform(0.6, 1.4)),
        lambda im: ImageEnhance.Color(im).enhance(rng.uniform(0.6, 1.4)),
        lambda im: shift_hue(im, rng.uniform(-0.1, 0.1)),
    ]
    for index in rng.permutation(len(ops)):
        image = ops[index](image)
    return image


def augment(image: Image.Image, seed: int) -> Image.Image:
    """One random view of an RGB image (same size), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    image = random_resized_crop(image.convert("RGB"), rng)
    if rng.random() < 0.5:
        image = ImageOps.mirror(image)
    if rng.random() < 0.8:
        image = colour_jitter(image, rng)
    if rng.random() < 0.2:
        image = ImageOps.grayscale(image).convert("RGB")
    return image
