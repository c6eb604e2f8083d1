"""Fixtures shared by the engine's pixel-level tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

KODAK_SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "kodim05.jpg"


@pytest.fixture(scope="session")
def kodak_grey() -> np.ndarray:
    """A textured grey photo (a bundled Kodak sample) at most 1024 px, as the geometric
    step decodes it."""
    with Image.open(KODAK_SAMPLE) as image:
        picture = image.convert("L")
    picture.thumbnail((1024, 1024))
    return np.asarray(picture)


@pytest.fixture(scope="session")
def align():
    """Keypoint alignment of two grey pictures, which the test needs to have succeeded."""
    from twinlens.engine.matching.pixels import Alignment, local_alignment, local_features

    def aligned(first: np.ndarray, second: np.ndarray) -> Alignment:
        alignment = local_alignment(local_features(first), local_features(second))
        assert alignment is not None
        assert alignment.inliers >= 25
        return alignment

    return aligned
