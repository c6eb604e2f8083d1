"""The one preprocessing definition shared by the engine and by training.

Training imports this module too, so the pixels a model was fitted on and the pixels the app
feeds it can never drift apart (issue 2, style guide point 8). The numbers themselves (input
size, mean, std, interpolation) come from the model file's metadata, never from constants here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

_INTERPOLATIONS = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True)
class PreprocessConfig:
    """How to turn a decoded RGB photo into the model's input tensor (timm's vocabulary)."""

    input_size: tuple[int, int, int] = (3, 224, 224)
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    interpolation: str = "bicubic"

    def __post_init__(self) -> None:
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"unknown interpolation {self.interpolation!r}")
        if len(self.input_size) != 3 or self.input_size[0] != 3:
            raise ValueError(f"input_size must be (3, H, W), got {self.input_size!r}")

    @property
    def height(self) -> int:
        return self.input_size[1]

    @property
    def width(self) -> int:
        return self.input_size[2]


def resize_for_model(image: Image.Image, config: PreprocessConfig) -> Image.Image:
    """Resize the whole photo to the model's input size.

    The full frame is squashed rather than centre-cropped: a duplicate finder must see the
    borders, and a crop would make a photo and its letterboxed copy look unrelated.
    """
    if image.mode != "RGB":
        image = image.convert("RGB")
    size = (config.width, config.height)
    if image.size == size:
        return image
    return image.resize(size, _INTERPOLATIONS[config.interpolation])


def to_array(image: Image.Image, config: PreprocessConfig) -> np.ndarray:
    """One photo as a normalised float32 CHW array."""
    pixels = np.asarray(resize_for_model(image, config), dtype=np.float32) / 255.0
    mean = np.asarray(config.mean, dtype=np.float32)
    std = np.asarray(config.std, dtype=np.float32)
    return ((pixels - mean) / std).transpose(2, 0, 1)


def to_batch(images: Sequence[Image.Image], config: PreprocessConfig) -> np.ndarray:
    """Several photos as one contiguous NCHW float32 batch."""
    batch = np.empty((len(images), *config.input_size), dtype=np.float32)
    for index, image in enumerate(images):
        batch[index] = to_array(image, config)
    return batch
