"""A learned code's duplicate radius: the widest that lets in at most 1 % of other shots.

The duplicate code proposes candidates within a radius (and a neighbour count) that the
model file carries. It is chosen here, on the calibration half of the edited real photos
(``duplicates.build``): the largest radius that holds at most 1 % of the other-shot pairs
(each file of a UKBench object against the other originals of its object). The recall per
edit kind at that radius is what the code alone finds, before any verification.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinlens.engine.matching.hamming import all_pairs
from twinlens.engine.model.codes import pack_bits
from twinlens.training.data.features import file_features, load_photo
from twinlens.training.export.onnx import ort_session, read_meta

from .duplicates import Dataset, build

OTHER_SHOT_SHARE = 0.01
"""At most this share of other-shot pairs may fall inside a code's radius."""


@dataclass(frozen=True)
class EditFiles:
    """One split's files (originals and edits) with their features, in one order."""

    data: Dataset
    files: list[str]
    features: np.ndarray

    @property
    def originals(self) -> list[int]:
        return [i for i, f in enumerate(self.files) if not self.data.kind[f]]


def edit_files(which: str) -> EditFiles:
    data = build(which)
    files = sorted(data.kind)
    features = file_features(f"dupeval_{which}", [data.folder / f for f in files])
    return EditFiles(data, files, features.astype(np.float32))


def distances(split: EditFiles, codes: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(Hamming distances of each edit kind's copies to their originals, other-shot distances)."""
    packed = pack_bits(codes)
    originals = split.originals
    index = {f: i for i, f in enumerate(split.files)}
    positives: dict[str, list[int]] = defaultdict(list)
    other: list[np.ndarray] = []
    groups = np.array([split.data.group.get(split.files[o]) or -1 for o in originals])
    for i, file in enumerate(split.files):
        kind = split.data.kind[file]
        if kind:
            j = index[split.data.source[file]]
            positives[kind].append(int(np.bitwise_count(packed[i] ^ packed[j]).sum()))
        group = split.data.group.get(file)
        if group is None:
            continue
        same = [
            o
            for o, g in zip(originals, groups, strict=True)
            if g == group and split.files[o] != split.data.source[file]
        ]
        if same:
            d = np.bitwise_count(packed[same] ^ packed[i]).sum(axis=1)
            other.append(d)
    return {k: np.array(v) for k, v in positives.items()}, np.concatenate(other)


def radius_at(other: np.ndarray, share: float = OTHER_SHOT_SHARE) -> int:
    """The largest radius that holds at most ``share`` of the other-shot pairs (-1: none)."""
    best = -1
    for r in range(int(other.max()) + 1):
        if (other <= r).mean() <= share:
            best = r
    return best


def recall(positives: dict[str, np.ndarray], radius: int) -> dict[str, float]:
    return {k: float((v <= radius).mean()) for k, v in positives.items()}


def file_codes(model: Path, split: EditFiles, output: str, batch: int = 32) -> np.ndarray:
    """The ``output`` codes of every file of ``split`` from an exported model file itself
    (the app's decoding, preprocessing and onnxruntime), (N, bits) uint8."""
    from twinlens.engine.model.preprocess import to_batch

    meta, session = read_meta(model), ort_session(model)
    out = []
    for lo in range(0, len(split.files), batch):
        images = [load_photo(split.data.folder / f) for f in split.files[lo : lo + batch]]
        (bits,) = session.run([output], {"image": to_batch(images, meta.preprocess)})
        out.append(np.asarray(bits, dtype=np.uint8))
    return np.concatenate(out)


CANDIDATE_PAIR_BUDGET = 500_000
"""Pairs the duplicate code may propose within its radius over the 60,000 CIFAR-10 images,
a deliberately dense collection (ten kinds of tiny picture): the cost bound of issue 16."""


@dataclass(frozen=True)
class DuplicateRadius:
    """The duplicate code's shipped candidate radius, and what it and a stricter one find."""

    candidate: int
    """The widest radius whose pairs over the dense collection stay within the budget: the
    verifier rejects other shots, so the radius is bounded by cost, not by precision."""
    candidate_recall: dict[str, float]
    dense_pairs: int
    other_shot: int
    """The widest radius holding at most 1 % of the other-shot pairs (the code alone)."""
    other_shot_recall: dict[str, float]


def dense_radius(codes: np.ndarray, budget: int = CANDIDATE_PAIR_BUDGET) -> tuple[int, int]:
    """(largest radius whose all-pairs count over ``codes`` is within ``budget``, that count)."""
    packed = pack_bits(codes)
    bits = codes.shape[1]
    best = (-1, 0)
    for radius in range(bits + 1):
        pairs = len(all_pairs(packed, bits, radius).left)
        if pairs > budget:
            break
        best = (radius, pairs)
    return best


def calibrate_duplicate(model: Path, output: str, dense_codes: np.ndarray) -> DuplicateRadius:
    """A model file's duplicate code measured on the calibration half: its candidate radius
    (bounded by the pairs it proposes over ``dense_codes``, the CIFAR-10 codes) and recall
    per edit kind there and at the 1 %-other-shot radius."""
    split = edit_files("calibration")
    positives, other = distances(split, file_codes(model, split, output))
    strict = radius_at(other)
    candidate, pairs = dense_radius(dense_codes)
    candidate = max(candidate, strict)
    return DuplicateRadius(
        candidate, recall(positives, candidate), pairs, strict, recall(positives, strict)
    )
