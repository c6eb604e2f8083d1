"""The duplicate finder measured end to end, as ``twinlens dupes`` decides, beside its peers.

Every real photo of ../shared/data (Kodak, UKBench groups 0-13, imagededup's originals) is
edited in every kind of ``edits.KINDS`` and written as a file; a library of those files is
scanned with the shipped model; its duplicate groups are scored pair by pair. Thresholds are
chosen on the calibration half and every figure is reported on the other half
(``edits.split``). Hard negatives: other shots of the same UKBench object, and (``--cifar``)
different low-texture CIFAR-10 pictures (aircraft and ships against plain sky or sea), whose
reported groups are drawn in a contact sheet to be looked at.

Peers in the same run: imagehash's phash, dhash, whash and crop_resistant_hash, each at its
best threshold that keeps 0.99 pair precision on the calibration half.

    python -m twinlens.training.calibration.duplicates [--split report] [--cifar N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from twinlens.engine import Library
from twinlens.engine.matching.duplicates import Report
from twinlens.training.data.features import CACHE_DIR, CIFAR_PATH, PHOTO_DIR

from .edits import KINDS, originals, save_edit, split

WORK = CACHE_DIR.parent / "dupeval"
PEERS = ("phash", "dhash", "whash", "crop_resistant")


@dataclass
class Dataset:
    """The files of one split: each file's source original and edit kind ("" = original)."""

    folder: Path
    source: dict[str, str] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    group: dict[str, int | None] = field(default_factory=dict)


def build(which: str) -> Dataset:
    """Write (once) the originals of one split and every edit of each, as files."""
    photos = originals()
    calibration, report = split(photos)
    folder = WORK / which
    folder.mkdir(parents=True, exist_ok=True)
    data = Dataset(folder)
    for index in calibration if which == "calibration" else report:
        name, group = photos[index]
        original = folder / Path(name).name
        if not original.exists():
            original.write_bytes((PHOTO_DIR / name).read_bytes())
        data.source[original.name], data.kind[original.name] = original.name, ""
        data.group[original.name] = group
        image = None
        for kind in KINDS:
            done = list(folder.glob(f"{original.stem}.{kind.name}.*"))
            if done:
                file = done[0].name
            else:
                if image is None:
                    with Image.open(original) as opened:
                        image = opened.convert("RGB")
                file = save_edit(kind, image, original.stem, folder)
            data.source[file], data.kind[file], data.group[file] = original.name, kind.name, group
    return data


def engine_pairs(
    data: Dataset, library_path: Path, model: Path | None = None
) -> tuple[set[tuple[str, str]], Report, float]:
    """Scan the split's folder and return every pair of files the engine groups together
    (with the shipped model, or ``model``)."""
    with Library(library_path, model) as library:
        library.run_scan(library.add_roots([data.folder]))
        library.store.forget_verdicts()  # a first run: every verdict computed, none cached
        report = Report()
        started = time.perf_counter()
        groups = library.duplicate_groups(report=report)
        elapsed = time.perf_counter() - started
    together: set[tuple[str, str]] = set()
    for group in groups:
        names = sorted(Path(p).name for p in group.paths)
        together.update(itertools.combinations(names, 2))
    return together, report, elapsed


def score(data: Dataset, together: set[tuple[str, str]]) -> dict[str, object]:
    """Recall per kind, pair precision, and the false pairs by kind of negative."""
    found = defaultdict(list)
    for file, kind in data.kind.items():
        if kind:
            pair = tuple(sorted((file, data.source[file])))
            found[kind].append(pair in together)
    true = false = 0
    false_kinds: dict[str, int] = defaultdict(int)
    examples: list[tuple[str, str]] = []
    for a, b in together:
        if data.source[a] == data.source[b]:
            true += 1
            continue
        false += 1
        ga, gb = data.group.get(a), data.group.get(b)
        false_kinds["other_shot" if ga is not None and ga == gb else "unrelated"] += 1
        if len(examples) < 40:
            examples.append((a, b))
    return {
        "recall": {k: float(np.mean(v)) for k, v in found.items()},
        "precision": true / (true + false) if true + false else 1.0,
        "true_pairs": true,
        "false_pairs": false,
        "false_by_kind": dict(false_kinds),
        "false_examples": examples,
    }


def peer_hashes(data: Dataset) -> dict[str, dict[str, object]]:
    """imagehash's hashes of every file, decoded as the engine decodes."""
    import imagehash

    from twinlens.engine.media.decode import decode_photo

    functions: dict[str, Callable[[Image.Image], object]] = {
        "phash": imagehash.phash,
        "dhash": imagehash.dhash,
        "whash": imagehash.whash,
        "crop_resistant": imagehash.crop_resistant_hash,
    }
    out: dict[str, dict[str, object]] = {name: {} for name in functions}
    for file in data.kind:
        image = decode_photo(data.folder / file, min_size=512).image
        for name, function in functions.items():
            out[name][file] = function(image)
    return out


def peer_distances(
    data: Dataset, hashes: dict[str, object], name: str
) -> tuple[dict[str, list[float]], list[float], list[float]]:
    """(positive distances by kind, other-shot negatives, unrelated negatives) for one peer:
    every (edit, its original) pair, and (file, other original) for every other original."""
    originals_ = [f for f, k in data.kind.items() if not k]
    positives: dict[str, list[float]] = defaultdict(list)
    other_shot: list[float] = []
    unrelated: list[float] = []
    for file, kind in data.kind.items():
        for original in originals_:
            d = _hash_distance(hashes[file], hashes[original], name)
            if data.source[file] == original:
                if kind:
                    positives[kind].append(d)
                continue
            ga, gb = data.group.get(file), data.group.get(original)
            (other_shot if ga is not None and ga == gb else unrelated).append(d)
    return positives, other_shot, unrelated


def _hash_distance(a: object, b: object, name: str) -> float:
    if name == "crop_resistant":
        return float(a.hash_diff(b)[1] if a.hash_diff(b)[0] else 64)  # type: ignore[attr-defined]
    return float(a - b)  # type: ignore[operator]


def best_threshold(positives: dict[str, list[float]], negatives: list[float]) -> float:
    """The most permissive threshold that keeps 0.99 pair precision (the peer's best showing)."""
    pos = np.concatenate([np.array(v) for v in positives.values()])
    neg = np.array(negatives)
    best = 0.0
    for t in sorted(set(pos.tolist())):
        tp, fp = int((pos <= t).sum()), int((neg <= t).sum())
        if tp / (tp + fp) >= 0.99:
            best = t
    return best


CIFAR_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def cifar_groups(count: int, sheet: Path, model: Path | None = None) -> dict[str, object]:
    """Duplicate groups among the first ``count`` CIFAR-10 training images, a dense collection
    of small, often flat pictures whose true duplicates are rare; the groups are drawn in a
    contact sheet (4x, one row per group) to be judged by eye, since CIFAR-10 does hold a few
    genuine near-duplicates."""
    folder = WORK / f"cifar{count}"
    folder.mkdir(parents=True, exist_ok=True)
    with np.load(CIFAR_PATH) as data:
        images, labels = data["x_train"][:count], data["y_train"][:count]
    for index, pixels in enumerate(images):
        file = folder / f"{index:05d}_{CIFAR_NAMES[int(labels[index])]}.png"
        if not file.exists():
            Image.fromarray(pixels).save(file)
    suffix = f"-{model.stem}" if model else ""
    with Library(WORK / f"cifar{count}{suffix}.twinlens", model) as library:
        library.run_scan(library.add_roots([folder]))
        report = Report()
        started = time.perf_counter()
        groups = library.duplicate_groups(report=report)
        elapsed = time.perf_counter() - started
    rows = [[Path(p).name for p in group.paths][:8] for group in groups]
    _contact_sheet(folder, rows[:40], sheet)
    low_texture = sum(
        all(name.split("_")[1].split(".")[0] in ("airplane", "ship") for name in row)
        for row in rows
    )
    print(
        f"CIFAR-10 first {count}: {len(groups)} groups in {elapsed:.1f} s; {report}; sheet {sheet}"
    )
    return {
        "images": count,
        "groups": len(groups),
        "airplane_or_ship_groups": low_texture,
        "seconds": round(elapsed, 2),
        "groups_listed": rows,
    }


def _contact_sheet(folder: Path, rows: list[list[str]], out: Path) -> None:
    cell = 128
    sheet = Image.new("RGB", (cell * 8, cell * max(1, len(rows))), "white")
    for y, row in enumerate(rows):
        for x, name in enumerate(row):
            with Image.open(folder / name) as image:
                tile = image.convert("RGB").resize((cell - 4, cell - 4), Image.Resampling.NEAREST)
            sheet.paste(tile, (x * cell + 2, y * cell + 2))
    sheet.save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="calibration", choices=["calibration", "report"])
    parser.add_argument("--peers", action="store_true", help="score imagehash's hashes too")
    parser.add_argument("--out", type=Path, default=None, help="write the scores as JSON")
    parser.add_argument("--cifar", type=int, default=0, help="also group the first N CIFAR-10")
    parser.add_argument("--model", type=Path, help="a model file instead of the shipped one")
    args = parser.parse_args()
    if args.cifar:
        cifar = cifar_groups(args.cifar, WORK / f"cifar{args.cifar}_groups.png", args.model)
    data = build(args.split)
    suffix = f"-{args.model.stem}" if args.model else ""
    library_path = WORK / f"{args.split}{suffix}.twinlens"
    together, report, elapsed = engine_pairs(data, library_path, args.model)
    result = score(data, together)
    print(f"split {args.split}: {len(data.kind)} files; grouping {elapsed:.1f} s; {report}")
    print(json.dumps(result, indent=1))
    if args.peers:
        result["peers"] = peers(args.split, data)
    if args.cifar:
        result["cifar"] = cifar
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


def peers(which: str, data: Dataset) -> dict[str, object]:
    """Each peer's threshold from the calibration half, scored on ``which``."""
    thresholds = {}
    calibration = data if which == "calibration" else build("calibration")
    hashes_cal = peer_hashes(calibration)
    for name in PEERS:
        pos, other, unrel = peer_distances(calibration, hashes_cal[name], name)
        thresholds[name] = best_threshold(pos, other + unrel)
    hashes = hashes_cal if which == "calibration" else peer_hashes(data)
    out: dict[str, object] = {}
    for name in PEERS:
        pos, other, unrel = peer_distances(data, hashes[name], name)
        t = thresholds[name]
        tp = sum(int((np.array(v) <= t).sum()) for v in pos.values())
        fp = int((np.array(other + unrel) <= t).sum())
        scores: dict[str, object] = {
            "threshold": t,
            "recall": {k: float((np.array(v) <= t).mean()) for k, v in pos.items()},
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "other_shot_pairs": int((np.array(other) <= t).sum()),
        }
        out[name] = scores
        print(f"{name}: threshold {t}, precision {scores['precision']:.4f}")
    return out


if __name__ == "__main__":
    main()
