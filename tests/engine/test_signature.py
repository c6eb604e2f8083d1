"""The pixel-structure signature that separates the same photo from the same scene."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from tests.conftest import make_photo
from twinlens.engine.matching.groups import Candidate, code_groups, tiers_verified_by_signature
from twinlens.engine.media.signature import SIGNATURE_SAME_PHOTO, distances, signature, to_blob
from twinlens.engine.model import codes

RADII = {"same_photo": 8, "edited_copy": 8, "similar_shot": 4}


@pytest.fixture
def photo(tmp_path) -> Image.Image:
    return Image.open(make_photo(tmp_path / "p.jpg", seed=4, size=(640, 480))).convert("RGB")


def _d(a: Image.Image, b: Image.Image) -> int:
    return int(
        distances(signature(a)[None].astype(np.float32), signature(b)[None].astype(np.float32))[0]
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda im: im.resize((160, 120)),
        lambda im: ImageEnhance.Brightness(im).enhance(0.85),
        lambda im: im.convert("L"),
        ImageOps.mirror,
        lambda im: im.transpose(Image.Transpose.ROTATE_90),
        lambda im: im.transpose(Image.Transpose.ROTATE_180),
    ],
)
def test_edited_copies_keep_their_signature(photo: Image.Image, edit) -> None:
    assert _d(photo, edit(photo)) <= SIGNATURE_SAME_PHOTO


def test_another_picture_has_a_distant_signature(photo: Image.Image, tmp_path) -> None:
    other = Image.open(make_photo(tmp_path / "o.jpg", seed=5, size=(640, 480)))
    assert _d(photo, other) > 12


def test_code_match_without_pixel_agreement_is_not_a_duplicate(
    photo: Image.Image, tmp_path
) -> None:
    other = Image.open(make_photo(tmp_path / "o.jpg", seed=5, size=(640, 480)))
    small = photo.resize((320, 240))
    blobs = [to_blob(signature(im)) for im in (photo, small, other)]
    cands = [
        Candidate(f"h{i}", (f"/p/{i}.jpg",), (i,), 100 - i, 10, 10 - i, "", "", blob)
        for i, blob in enumerate(blobs)
    ]
    same_code = codes.pack_bits(np.zeros((3, 64), dtype=np.uint8))  # all three codes equal
    groups, _ = code_groups(cands, same_code, 64, 8, tiers_verified_by_signature(cands, RADII))
    assert [g.paths for g in groups] == [["/p/0.jpg", "/p/1.jpg"]]
    assert groups[0].tier == "same_photo"
    no_signature = [Candidate(c.hash, c.paths, c.mtimes, c.pixels, 10, 10, "", "") for c in cands]
    groups, _ = code_groups(
        no_signature, same_code, 64, 8, tiers_verified_by_signature(no_signature, RADII)
    )
    assert groups == []
