"""Every member of a duplicate group is a verified copy of its keeper, not only of another
member: a chain of geometric verdicts can join two different photos (two shots of one flat
picture, each verified against an edit of the other), and "keep one, remove the rest" must
never remove a photo that is not a copy of the one kept.

The verdicts come from the library's verdict cache (stubbed here), so the grouping rule is
tested on its own, without decoding a pixel."""

from __future__ import annotations

import numpy as np

from twinlens.engine.matching.duplicates import CandidatePlan, Evidence, Report, find_duplicates
from twinlens.engine.matching.groups import Candidate
from twinlens.engine.matching.verify import NOT_A_DUPLICATE, SIBLINGS, Change, Verdict
from twinlens.engine.model import codes

CROPPED = Verdict("edited_copy", Change(covers=0.8, angle=0.4))
"""A geometric verdict: a crop."""
RECOMPRESSED = Verdict("same_photo", Change())
"""A global verdict: the same framing."""


def candidate(name: str, side: int = 1200) -> Candidate:
    """A content of ``side`` px, large enough for the geometric step."""
    return Candidate(
        hash=name,
        paths=(f"/p/{name}.jpg",),
        mtimes=(ord(name[0]),),
        pixels=side * side * 3 // 4,
        width=side,
        height=side * 3 // 4,
        camera="",
        taken_at="",
    )


def groups_of(
    names: list[str],
    verdicts: dict[tuple[str, str], Verdict | None],
    code_bits: dict[str, int] | None = None,
    neighbours: int | None = None,
    sides: dict[str, int] | None = None,
) -> tuple[list[list[str]], Report]:
    """The groups found when ``verdicts`` are what the ladder says; every pair is a candidate
    unless ``code_bits`` (how many leading code bits each photo has set) and ``neighbours``
    (how many nearest each photo proposes) say otherwise."""
    candidates = [candidate(n, (sides or {}).get(n, 1200)) for n in names]

    def cached(a: str, b: str) -> Verdict | None:
        """The stubbed cache; None: not cached, so the ladder decodes (and cannot here)."""
        if (a, b) in verdicts:
            return verdicts[a, b]
        if (b, a) in verdicts:
            found = verdicts[b, a]
            return found.seen_from_the_other_side() if found is not None else None
        return NOT_A_DUPLICATE

    size = len(candidates)
    evidence = Evidence(
        thumbs_of=lambda rows: (np.zeros((len(rows), 32, 32), np.uint8), np.zeros(len(rows), bool)),
        load_grey=lambda picture, side: None,
        cached=cached,
    )
    bits = np.zeros((size, 64), dtype=np.uint8)
    for row, name in enumerate(names):
        bits[row, : (code_bits or {}).get(name, 0)] = 1
    same_code = {"semantic": codes.pack_bits(bits)}
    plans = [CandidatePlan("semantic", neighbours=neighbours or size, max_radius=8, bits=64)]
    report = Report()
    groups, _ = find_duplicates(candidates, same_code, plans, evidence, report)
    return sorted(sorted(p.rsplit("/", 1)[1][:-4] for p in g.paths) for g in groups), report


def test_a_chain_through_another_shot_is_split_at_the_keeper() -> None:
    # a: a photo; b: a crop of a; c: another shot that verified against b only.
    verdicts = {("a", "b"): CROPPED, ("b", "c"): CROPPED, ("a", "c"): NOT_A_DUPLICATE}
    groups, report = groups_of(["a", "b", "c"], verdicts)
    assert groups == [["a", "b"]]
    assert report.split_members == 1


def test_the_photos_that_leave_form_their_own_group() -> None:
    # Two photos a and d, each with a crop (b, e); a wrong link joins the crops.
    verdicts = {
        ("a", "b"): CROPPED,
        ("d", "e"): CROPPED,
        ("b", "e"): CROPPED,
        ("a", "d"): NOT_A_DUPLICATE,
        ("a", "e"): NOT_A_DUPLICATE,
    }
    groups, _ = groups_of(["a", "b", "d", "e"], verdicts)
    assert groups == [["a", "b"], ["d", "e"]]


def test_copies_of_a_member_that_stays_stay_with_it() -> None:
    # c recompresses the crop b: it fails against a (a stub "no"), but is a copy of b.
    verdicts = {("a", "b"): CROPPED, ("b", "c"): RECOMPRESSED, ("a", "c"): NOT_A_DUPLICATE}
    groups, report = groups_of(["a", "b", "c"], verdicts)
    assert groups == [["a", "b", "c"]]
    assert report.split_members == 0


def test_a_member_that_cannot_be_read_now_keeps_its_place() -> None:
    # No verdict for (a, c) and no pixels: decided another time, never split meanwhile.
    verdicts: dict[tuple[str, str], Verdict | None] = {("a", "b"): CROPPED, ("b", "c"): CROPPED}
    groups, report = groups_of(["a", "b", "c"], {**verdicts, ("a", "c"): None})
    assert groups == [["a", "b", "c"]]
    assert report.split_members == 0


def test_a_crop_proposed_only_beside_another_crop_finds_their_original() -> None:
    # a: a photo; b: its centred crop; c: an off-centre crop. The codes propose only (a, b)
    # and (b, c): b and c are two parts of one picture (siblings), neither a copy of the
    # other, so c is compared with b's group, and found to be a crop of a.
    verdicts = {("a", "b"): CROPPED, ("b", "c"): SIBLINGS, ("a", "c"): CROPPED}
    layout = {"a": 0, "b": 1, "c": 3}
    groups, _ = groups_of(["a", "b", "c"], verdicts, code_bits=layout, neighbours=1)
    assert groups == [["a", "b", "c"]]
    # Siblings alone are not copies: without the original, the two crops stay apart.
    alone, _ = groups_of(["b", "c"], {("b", "c"): SIBLINGS})
    assert alone == []


def _crop(fit: float) -> Verdict:
    return Verdict("edited_copy", Change(covers=0.6, fit=fit))


def test_a_crop_that_matches_two_shots_goes_with_the_closer() -> None:
    # a and c: two shots of one flat picture (siblings: each shows what the other lacks);
    # b: a crop of c, which lies inside a's frame too and verifies against it, less closely.
    sides = {"a": 1600, "b": 1000, "c": 1400}
    verdicts = {("a", "b"): _crop(0.955), ("b", "c"): _crop(0.995), ("a", "c"): SIBLINGS}
    groups, _ = groups_of(["a", "b", "c"], verdicts, sides=sides)
    assert groups == [["b", "c"]]
    verdicts = {("a", "b"): _crop(0.995), ("b", "c"): _crop(0.955), ("a", "c"): SIBLINGS}
    groups, _ = groups_of(["a", "b", "c"], verdicts, sides=sides)
    assert groups == [["a", "b"]]
    # c failed against a for another reason (too few keypoints, little overlap): that says
    # nothing about where b belongs, so b stays with the keeper.
    verdicts = {("a", "b"): _crop(0.955), ("b", "c"): _crop(0.995), ("a", "c"): NOT_A_DUPLICATE}
    groups, _ = groups_of(["a", "b", "c"], verdicts, sides=sides)
    assert groups == [["a", "b"]]
