"""Near-duplicate evaluation helpers: the EXIF edit, pair distances under each rule, radii.

Why: the tier radii shipped in the model come from these functions; a rule that let negatives
match less easily than positives would overstate precision.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import need_module

need_module("torch", "the training tests need torch (pip install -e '.[training]')")

from twinlens.training.experiments import neardup  # noqa: E402


@pytest.mark.timeout(30)
def test_exif_only_rotation_is_seen_turned():
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (6, 10, 3), dtype=np.uint8))
    seen = neardup.EDIT_KINDS["exif_rotation"](image)
    assert seen.size == (6, 10)
    assert np.array_equal(np.asarray(seen), np.asarray(image.transpose(Image.Transpose.ROTATE_270)))
    assert np.array_equal(np.asarray(seen), np.asarray(neardup.EDIT_KINDS["rotate_90"](image)))


@pytest.mark.timeout(30)
def test_rotation_rule_applies_to_negatives_too():
    bits = 8
    variants = np.zeros((3, 8, bits), np.uint8)
    variants[1, :, :] = 1  # photo 1: all ones in every variant
    variants[2, :, :4] = 1  # photo 2: 11110000 in every variant ...
    variants[2, 1, :] = 1  # ... except its 90-degree turn, which equals photo 1
    edits = variants[:, :1].copy()  # one "edit" identical to the original
    groups = np.array([-1, 7, 7])  # photos 1 and 2: two shots of one object
    single = neardup.pair_distances(variants, edits, groups, ["copy"], "single")
    turned = neardup.pair_distances(variants, edits, groups, ["copy"], "rotations")
    assert single.positives["copy"].tolist() == [0, 0, 0]
    assert sorted(single.unrelated.tolist()) == [4, 8]
    assert single.similar.tolist() == [4]
    assert turned.similar.tolist() == [0]
    # Edited copy of photo 1 against the stored codes of photo 2: its turn matches.
    assert sorted(single.negatives["copy"].tolist()) == [4, 4, 4, 4, 8, 8]
    assert sorted(turned.negatives["copy"].tolist()) == [0, 4, 4, 4, 8, 8]
    assert turned.hard.tolist() == [False, False, False, True, False, True]


@pytest.mark.timeout(30)
def test_choose_radii_keeps_precision():
    kinds = list(neardup.EDIT_KINDS)
    pairs = neardup.PairSet(
        positives={k: np.array([0, 1, 2, 3]) for k in kinds},
        negatives={k: np.array([4] + [20] * 500) for k in kinds},
        hard=np.array([True] + [False] * 500),
        similar=np.array([5, 6]),
        unrelated=np.array([20] * 2000),
    )
    radii = neardup.choose_radii(pairs, 32)
    assert radii["edited_copy"] == 3
    assert neardup.duplicate_precision(pairs, radii["edited_copy"]) == 1.0
    assert radii["same_photo"] <= radii["edited_copy"] <= radii["similar_shot"] < 20
    assert neardup.per_kind(pairs, 4)["png"] == (4 / 5, 1.0, 1)
