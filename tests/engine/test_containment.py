"""The containment rule: an edit lies inside its original but for flat fill; two shots of one
scene taken from different places each show content the other lacks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from twinlens.engine.matching.containment import exclusive_content
from twinlens.engine.matching.pixels import local_features
from twinlens.engine.matching.verify import MAX_EXCLUSIVE


@pytest.fixture
def least_exclusive(align):
    def measure(first: np.ndarray, second: np.ndarray) -> float:
        return exclusive_content(first, second, align(first, second)).least

    return measure


def _window(scene: np.ndarray, left: float, top: float, keep: float) -> np.ndarray:
    height, width = scene.shape
    h, w = int(height * keep), int(width * keep)
    y, x = int(top * (height - h)), int(left * (width - w))
    return np.ascontiguousarray(scene[y : y + h, x : x + w])


def _tilted(grey: np.ndarray, degrees: float) -> np.ndarray:
    """Rotated in place with black corners, as an editor's straighten tool without crop."""
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_CUBIC)


def _framed(grey: np.ndarray, pad: int, value: int) -> np.ndarray:
    return cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=value)


def test_edits_show_nothing_beyond_their_original(kodak_grey: np.ndarray, least_exclusive) -> None:
    edits = {
        "crop to 60 %, off-centre": _window(kodak_grey, 0.1, 0.1, 0.77),
        "tilt 8 degrees with black fill": _tilted(kodak_grey, 8.0),
        "letterbox": _framed(kodak_grey, 60, 0),
        "white border": _framed(kodak_grey, 40, 250),
        "mirrored crop": np.ascontiguousarray(_window(kodak_grey, 0.5, 0.5, 0.85)[:, ::-1]),
    }
    for name, edit in edits.items():
        assert least_exclusive(kodak_grey, edit) <= MAX_EXCLUSIVE / 2, name
        assert least_exclusive(edit, kodak_grey) <= MAX_EXCLUSIVE / 2, name


@pytest.mark.parametrize("shift", [0.25, 0.6])
def test_two_shots_panned_across_a_scene_each_show_more(
    kodak_grey: np.ndarray, shift: float, least_exclusive
) -> None:
    """Two frames of one scene, the camera moved sideways between them."""
    first = _window(kodak_grey, 0.0, 0.5, 0.8)
    second = _window(kodak_grey, shift, 0.5, 0.8)
    assert least_exclusive(first, second) > 2 * MAX_EXCLUSIVE


def test_a_tilted_shot_of_a_scene_shows_its_own_corners(
    kodak_grey: np.ndarray, least_exclusive
) -> None:
    """The camera turned 12 degrees: each frame's corners hold what the other's miss."""
    height, width = kodak_grey.shape
    inner = _window(kodak_grey, 0.5, 0.5, 0.7)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 12.0, 1.0)
    turned = cv2.warpAffine(kodak_grey, matrix, (width, height), flags=cv2.INTER_CUBIC)
    turned_inner = _window(turned, 0.5, 0.5, 0.7)
    assert least_exclusive(inner, turned_inner) > 2 * MAX_EXCLUSIVE


def test_the_ladder_rejects_a_panned_shot_and_keeps_a_crop(kodak_grey: np.ndarray) -> None:
    """Pixel for pixel the panned frames agree where they overlap (no parallax, no light
    change): only the containment rule tells them from a crop."""
    from twinlens.engine.matching.verify import Picture, geometric_verdict

    first = _window(kodak_grey, 0.0, 0.5, 0.8)
    panned = _window(kodak_grey, 0.6, 0.5, 0.8)
    crop = _window(first, 0.3, 0.3, 0.75)
    picture = Picture(0, 0, None, ())
    features = {
        name: local_features(grey)
        for name, grey in (("first", first), ("panned", panned), ("crop", crop))
    }
    assert geometric_verdict(picture, picture, features["first"], features["crop"]).tier
    assert not geometric_verdict(picture, picture, features["first"], features["panned"]).tier
