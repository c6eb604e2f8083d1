"""The parallax check tells an edit (one similarity transform of the same pixels) from a
second photograph of a flat picture (a perspective change no similarity removes)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from twinlens.engine.matching.parallax import residual_shift
from twinlens.engine.matching.pixels import overlay
from twinlens.engine.matching.verify import MAX_PARALLAX


@pytest.fixture
def residual_of(align):
    def measure(first: np.ndarray, second: np.ndarray) -> float:
        return residual_shift(overlay(first, second, align(first, second))).residual

    return measure


def tilted_crop(grey: np.ndarray, degrees: float, keep: float) -> np.ndarray:
    """A tilt of ``degrees`` and a centred crop keeping ``keep`` of each side, as an editor
    makes it, saved as JPEG quality 85."""
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    turned = cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_CUBIC)
    dy, dx = int(height * (1 - keep) / 2), int(width * (1 - keep) / 2)
    return _jpeg(turned[dy : height - dy, dx : width - dx])


def photographed_again(grey: np.ndarray, lean: float) -> np.ndarray:
    """The same flat picture from a step to the side: its far edge ``lean`` shorter."""
    height, width = grey.shape
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    inset = lean * height / 2
    moved = np.float32([[0, 0], [width, inset], [width, height - inset], [0, height]])
    warp = cv2.getPerspectiveTransform(corners, moved)
    return _jpeg(cv2.warpPerspective(grey, warp, (width, height), flags=cv2.INTER_CUBIC))


def _jpeg(grey: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


@pytest.mark.parametrize(("degrees", "keep"), [(0.0, 0.8), (5.0, 0.85), (12.0, 0.7)])
def test_an_edit_leaves_no_parallax(
    kodak_grey: np.ndarray, degrees: float, keep: float, residual_of
) -> None:
    assert residual_of(kodak_grey, tilted_crop(kodak_grey, degrees, keep)) < MAX_PARALLAX / 2


@pytest.mark.parametrize("lean", [0.06, 0.12])
def test_another_shot_of_a_flat_picture_keeps_its_parallax(
    kodak_grey: np.ndarray, lean: float, residual_of
) -> None:
    assert residual_of(kodak_grey, photographed_again(kodak_grey, lean)) > MAX_PARALLAX
