"""The pixel-structure signature that separates the same photo from the same scene."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from tests.conftest import make_photo
from twinlens.engine.matching.duplicates import CandidatePlan, Evidence, find_duplicates
from twinlens.engine.matching.groups import Candidate
from twinlens.engine.matching.verify import SIGNATURE_SAME_PHOTO
from twinlens.engine.media.signature import distances, signature, thumbnail, to_blob
from twinlens.engine.model import codes


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
    """Equal codes are only candidates: pixels decide (matching/verify.py)."""
    other = Image.open(make_photo(tmp_path / "o.jpg", seed=5, size=(640, 480)))
    small = photo.resize((320, 240))
    images = [photo, small, other]
    cands = [
        Candidate(
            f"h{i}",
            (f"/p/{i}.jpg",),
            (i,),
            im.width * im.height,
            im.width,
            im.height,
            "",
            "",
            to_blob(signature(im)),
        )
        for i, im in enumerate(images)
    ]
    thumbs = np.stack([thumbnail(im) for im in images])
    by_path = {f"/p/{i}.jpg": im for i, im in enumerate(images)}

    def grey(picture, side):  # type: ignore[no-untyped-def]
        image = by_path[picture.paths[0]].convert("L")
        image.thumbnail((side, side))
        return np.asarray(image)

    evidence = Evidence(
        thumbs_of=lambda rows: (thumbs[rows], np.ones(len(rows), dtype=bool)), load_grey=grey
    )
    same_code = {"semantic": codes.pack_bits(np.zeros((3, 64), dtype=np.uint8))}
    plans = [CandidatePlan("semantic", neighbours=5, max_radius=8, bits=64)]
    groups, _ = find_duplicates(cands, same_code, plans, evidence)
    assert [g.paths for g in groups] == [["/p/0.jpg", "/p/1.jpg"]]
    assert groups[0].tier == "same_photo"
    assert groups[0].members[1].edit == "resized to 50 %"
    no_thumbs = Evidence(
        thumbs_of=lambda rows: (thumbs[rows], np.zeros(len(rows), dtype=bool)), load_grey=grey
    )
    groups, _ = find_duplicates(cands, same_code, plans, no_thumbs)
    assert groups == []


def test_variant_bits_are_each_variant_against_its_own_median(tmp_path: Path) -> None:
    """The fast path (four medians, transposed bits for the other four, a partition for the
    median) gives what the definition gives: each variant's block against its median, and
    the bits of a photo turned by PIL match the stored variant of its original."""
    from twinlens.engine.media.signature import UNDO_DIHEDRAL, bits, variant_bits, variants

    rng = np.random.default_rng(5)
    blocks = rng.normal(0, 40, (300, 8, 8)).astype(np.float32)
    for fast, block in zip(variant_bits(blocks), variants(blocks), strict=True):
        flat = block.reshape(len(block), -1)
        assert np.array_equal(fast, flat > np.median(flat[:, 1:], axis=1, keepdims=True))
    photo = Image.open(make_photo(tmp_path / "p.png", seed=11)).convert("RGB")
    original = signature(photo).astype(np.float32)[None]
    each = variant_bits(original)
    for variant, undo in enumerate(UNDO_DIHEDRAL):
        if undo is None:
            continue
        # The transpose that undoes variant v, applied to the photo, is the inverse variant.
        turned = bits(signature(photo.transpose(undo)).astype(np.float32)[None])
        inverse = (0, 1, 2, 3, 4, 6, 5, 7)[variant]
        apart = [int((turned != other).sum()) for other in each]
        # Resampling moves a few bits; every other variant is about half the bits away.
        assert apart[inverse] <= 4
        assert min(a for v, a in enumerate(apart) if v != inverse) >= 16
