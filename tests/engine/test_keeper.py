"""The keeper rule (issue 12): six ordered criteria, reorderable, each named in the reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from twinlens.engine.matching.content import Candidate
from twinlens.engine.matching.groups import Link, exact_groups, groups_from_links
from twinlens.engine.matching.keeper import DEFAULT_ORDER, KeeperRule, Ranking, parse_order
from twinlens.engine.matching.names import copy_marker, derived_from


def photo(
    path: str,
    pixels: tuple[int, int] = (4000, 3000),
    fmt: str = "JPEG",
    quality: int = 92,
    compression: str = "lossy",
    camera: str = "",
    taken_at: str = "",
    mtime: int = 100,
    paths: tuple[str, ...] = (),
) -> Candidate:
    all_paths = paths or (path,)
    return Candidate(
        hash=path,
        paths=all_paths,
        mtimes=tuple(mtime + i for i in range(len(all_paths))),
        pixels=pixels[0] * pixels[1],
        width=pixels[0],
        height=pixels[1],
        camera=camera,
        taken_at=taken_at,
        format=fmt,
        quality=quality,
        compression=compression,
    )


def keeper_of(*candidates: Candidate, rule: KeeperRule | None = None) -> tuple[str, str]:
    """(keeper path, reason) of a verified group of these candidates."""
    links = [Link(0, i, 1, "same_photo") for i in range(1, len(candidates))]
    groups, _ = groups_from_links(list(candidates), links, rule=rule or KeeperRule())
    assert len(groups) == 1
    return groups[0].keeper, groups[0].keeper_reason


# Each pair: the expected keeper first; the other wins every later criterion, so only the
# named criterion can decide.
def test_pixels_decide_before_quality_metadata_name_and_age() -> None:
    big = photo("/p/IMG_1 (copy).jpg", quality=50, mtime=900)
    small = photo("/p/IMG_1.jpg", (2000, 1500), quality=98, camera="Canon EOS 5D", mtime=1)
    assert keeper_of(small, big) == (big.paths[0], keeper_of(small, big)[1])
    assert keeper_of(small, big)[1] == "most pixels: 4000x3000 (the next copy has 2000x1500)"


def test_a_camera_jpeg_beats_its_recompressed_copy_at_equal_pixels() -> None:
    original = photo("/p/edits/long/kodim05.jpg", quality=88, mtime=900)
    recompressed = photo("/p/kodim05.jpg", quality=50, camera="Kodak", mtime=1)
    keeper, reason = keeper_of(recompressed, original)
    assert keeper == original.paths[0]
    assert reason == "least lossy: JPEG quality 88 over JPEG quality 50"


def test_a_png_made_from_a_jpeg_is_a_conversion_but_a_lossless_original_wins() -> None:
    jpeg = photo("/p/a/b/kodim23.jpg", quality=88, mtime=900)
    converted = photo("/p/kodim23.png", fmt="PNG", quality=0, compression="from_jpeg", mtime=1)
    keeper, reason = keeper_of(converted, jpeg)
    assert keeper == jpeg.paths[0]
    assert reason == "least lossy: JPEG quality 88 over a PNG converted from a JPEG"
    genuine = replace(converted, compression="lossless")
    keeper, reason = keeper_of(jpeg, genuine)
    assert (keeper, reason) == (genuine.paths[0], "least lossy: lossless PNG over JPEG quality 88")


def test_raw_beats_everything_at_equal_pixels_and_heic_beats_jpeg() -> None:
    raw = photo("/p/x/y/IMG_2.dng", fmt="DNG", quality=0, compression="raw", mtime=900)
    png = photo("/p/IMG_2.png", fmt="PNG", quality=0, compression="lossless")
    assert keeper_of(png, raw)[0] == raw.paths[0]
    heic = photo("/p/x/y/IMG_3.heic", fmt="HEIF", quality=0, mtime=900)
    assert keeper_of(png, heic)[0] == heic.paths[0]  # a PNG the size of a HEIC: a conversion
    jpeg = photo("/p/IMG_3.jpg", quality=96)
    assert keeper_of(jpeg, heic) == (
        heic.paths[0],
        "least lossy: the camera's HEIF over JPEG quality 96",
    )


def test_camera_metadata_decides_before_names_and_age() -> None:
    stripped = photo("/p/IMG_4.jpg", mtime=1)
    original = photo(
        "/p/sub/IMG_4 copy.jpg", camera="Nikon D750", taken_at="2019:06:01 10:00:00", mtime=900
    )
    keeper, reason = keeper_of(stripped, original)
    assert keeper == original.paths[0]
    assert reason == (
        "has the original camera metadata (Nikon D750, taken 2019:06:01 10:00:00)"
        " (the other copies have none)"
    )


def test_copy_markers_then_shorter_path_decide_before_age() -> None:
    copy = photo("/p/kodim08 (copy).jpg", mtime=1)  # the copy is older
    original = photo("/p/kodim08.jpg", mtime=900)
    keeper, reason = keeper_of(copy, original)
    assert keeper == original.paths[0]
    assert reason == "name without a copy marker (kodim08 (copy).jpg has 'copy' in its name)"
    deep = photo("/p/deeper/folder/IMG_5.jpg", mtime=1)
    short = photo("/p/IMG_5x.jpg", mtime=900)
    assert keeper_of(deep, short) == (short.paths[0], "shorter path")


def test_an_edited_name_loses_to_the_name_it_extends() -> None:
    bright = photo("/p/kodim14_bright.jpg", mtime=1)
    original = photo("/p/edits/kodim14.jpg", mtime=900)  # longer path, newer file
    keeper, reason = keeper_of(bright, original)
    assert keeper == original.paths[0]
    assert "kodim14_bright.jpg adds to the name kodim14" in reason


def test_oldest_capture_time_then_oldest_file() -> None:
    later = photo("/p/a.jpg", camera="X", taken_at="2020:01:01 00:00:00", mtime=1)
    earlier = photo("/p/b.jpg", camera="X", taken_at="2019:01:01 00:00:00", mtime=900)
    assert keeper_of(later, earlier) == (
        earlier.paths[0],
        "oldest capture time (2019:01:01 00:00:00)",
    )
    newer = photo("/p/c.jpg", mtime=2_000_000_000_000_000_000)
    older = photo("/p/d.jpg", mtime=1_000_000_000_000_000_000)
    keeper, reason = keeper_of(newer, older)
    assert keeper == older.paths[0]
    assert reason.startswith("oldest file (modified 2001-09-")


def test_reference_folder_wins_over_every_other_criterion() -> None:
    kept = photo("/refs/IMG_6 (1).jpg", (100, 100), quality=20, mtime=900)
    best = photo("/p/IMG_6.jpg", camera="Canon", mtime=1)
    rule = KeeperRule(references=(Path("/refs"),))
    links = [Link(0, 1, 1, "same_photo")]
    groups, _ = groups_from_links([best, kept], links, rule=rule)
    group = groups[0]
    assert group.keeper == kept.paths[0]
    assert group.keeper_reason == "in the reference folder /refs, whose photos are always kept"
    assert [m.reference for m in group.members] == [True, False]


def test_a_reference_member_that_is_not_the_keeper_is_never_proposed() -> None:
    in_reference = photo("/refs/IMG_7.jpg", (100, 100))
    best = photo("/p/IMG_7.jpg")
    rule = KeeperRule(order=("pixels",), references=(Path("/refs"),))
    groups, _ = groups_from_links([best, in_reference], [Link(0, 1, 1, "same_photo")], rule=rule)
    assert groups[0].keeper == best.paths[0]
    assert groups[0].proposed_for_removal() == []


def test_reordering_and_switching_off_criteria() -> None:
    big_new = photo("/p/a.jpg", mtime=900)
    small_old = photo("/p/b.jpg", (10, 10), mtime=1)
    assert keeper_of(small_old, big_new)[0] == big_new.paths[0]
    first_oldest = KeeperRule(order=parse_order("oldest,pixels"))
    keeper, reason = keeper_of(small_old, big_new, rule=first_oldest)
    assert keeper == small_old.paths[0]
    assert reason.startswith("oldest file")
    no_pixels = KeeperRule(order=parse_order("name"))
    assert (
        keeper_of(big_new, small_old, rule=no_pixels)[0] == big_new.paths[0]
    )  # a < b, same length
    assert (
        keeper_of(big_new, small_old, rule=no_pixels)[1]
        == "equal by every criterion; first by path"
    )


def test_parse_order_refuses_unknown_or_repeated_criteria() -> None:
    assert parse_order("default") == DEFAULT_ORDER
    assert parse_order(" Pixels , quality ") == ("pixels", "quality")
    with pytest.raises(ValueError, match="unknown keeper criterion 'size'"):
        parse_order("pixels,size")
    with pytest.raises(ValueError, match="named twice"):
        parse_order("name,name")


def test_byte_identical_copies_keep_the_plain_name_even_when_the_copy_is_older() -> None:
    content = photo("x", paths=("/s/edits/kodim08 (copy).jpg", "/s/kodim08.jpg"), mtime=1)
    group = exact_groups([content])[0]
    assert group.keeper == "/s/kodim08.jpg"
    assert "copy marker" in group.keeper_reason
    assert group.proposed_for_removal() == ["/s/edits/kodim08 (copy).jpg"]


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("IMG_1 - Copy.jpg", "copy"),
        ("IMG_1 copy 2.jpg", "copy"),
        ("Copy of IMG_1.jpg", "copy"),
        ("IMG_1 (1).jpg", "(1)"),
        ("IMG_1(12).JPG", "(12)"),
        ("IMG_1_edited.jpg", "edited"),
        ("IMG_1-small.jpg", "small"),
        ("Kopie von IMG_1.jpg", "kopie"),
        ("IMG_1 副本.jpg", "副本"),
        ("IMG_1 - コピー.jpg", "コピー"),
        ("IMG_1.jpg", ""),
        ("IMG_1234.jpg", ""),
        ("copycat_party.jpg", ""),
    ],
)
def test_copy_markers(name: str, marker: str) -> None:
    assert copy_marker(f"/photos/{name}") == marker


def test_derived_names_extend_another_name_at_a_separator() -> None:
    assert derived_from("/p/kodim14_bright.jpg", {"kodim14"}) == "kodim14"
    assert derived_from("/p/IMG_1-Edit.jpg", {"img_1"}) == "img_1"
    assert derived_from("/p/kodim140.jpg", {"kodim14"}) == ""  # another photo, not a copy
    assert derived_from("/p/kodim14.jpg", {"kodim14"}) == ""


def test_ranking_orders_every_file_of_a_group() -> None:
    a = photo("a", paths=("/p/IMG_9 (1).jpg", "/p/IMG_9.jpg"))
    b = photo("/p/IMG_9.png", fmt="PNG", quality=0, compression="from_jpeg")
    ranking = Ranking(KeeperRule(), [a, b])
    assert ranking.ordered_paths() == ["/p/IMG_9.jpg", "/p/IMG_9 (1).jpg", "/p/IMG_9.png"]
