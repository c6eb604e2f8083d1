"""Does the keeper rule keep the original? Measured end to end, as ``twinlens dupes`` decides.

Every real photo of ../shared/data becomes a camera original (a quality-95 JPEG, or for a
fifth of them a HEIC as phones write; most with the camera's EXIF: make, model, capture
time), and each original gets copies of the kinds people end up with:

- byte copies under the names file managers, browsers and editors give them
  ("IMG (1).jpg", "IMG - Copy.jpg", "Copy of IMG.jpg", "IMG 副本.jpg", "Kopie von IMG.jpg");
- recompressions (quality 70 and 50) and a resave at the same quality without the EXIF;
- conversions: a PNG and a WebP made from the JPEG, a JPEG made from the HEIC;
- a half-size copy, and edited copies (brightened, cropped) with an editor's suffix.

File times are shuffled so the original is the oldest file in only about a third of the
groups. The library of those files is scanned with the shipped model; for every duplicate
group that holds an original, the suggested keeper is checked against it.

    python -m twinlens.training.calibration.keeper [--split report] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageEnhance

from twinlens.engine import Library
from twinlens.training.data.features import CACHE_DIR, PHOTO_DIR

from .edits import originals, split

WORK = CACHE_DIR.parent / "keepereval"
COPY_NAMES = (
    "{} (1)",
    "{} - Copy",
    "Copy of {}",
    "{} copy",
    "{} copy 2",
    "{}(2)",
    "{} 副本",
    "Kopie von {}",
    "{}_edited",
)


@dataclass
class Dataset:
    """The files of one split: each file's original (by stem) and what kind of copy it is."""

    folder: Path
    original: dict[str, str] = field(default_factory=dict)
    """File (relative to ``folder``) -> the original's file."""
    kind: dict[str, str] = field(default_factory=dict)
    """File -> "" for an original, else the kind of copy."""


def _exif(index: int) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Twinlens"  # Make
    exif[0x0110] = f"EvalCam {index % 3}"  # Model
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = f"20{10 + index % 14:02d}:0{1 + index % 9}:1{index % 10} 1{index % 10}:00:00"
    return exif.tobytes()


def build(which: str) -> Dataset:
    """Write (once) the originals and copies of one split; returns what each file is."""
    photos = originals()
    calibration, report = split(photos)
    folder = WORK / which
    data = Dataset(folder)
    rng = random.Random(12)
    for index in calibration if which == "calibration" else report:
        name, _ = photos[index]
        stem = f"IMG_{index:04d}"
        with Image.open(PHOTO_DIR / name) as opened:
            picture = opened.convert("RGB")
        _make_group(data, picture, stem, index, rng)
    return data


def _make_group(
    data: Dataset, picture: Image.Image, stem: str, index: int, rng: random.Random
) -> None:
    camera = data.folder / "DCIM" / f"{100 + index % 5}CAMERA"
    copies = data.folder / "Pictures" / "sorted"
    exports = data.folder / "Exports"
    for place in (camera, copies, exports):
        place.mkdir(parents=True, exist_ok=True)
    heic = index % 5 == 0
    exif = _exif(index) if index % 4 != 3 else b""  # a quarter without camera metadata
    original = camera / f"{stem}.{'heic' if heic else 'jpg'}"
    files: dict[Path, str] = {}
    if not original.exists():
        _save(picture, original, "HEIF" if heic else "JPEG", 95, exif)
    files[original] = ""
    decoded = _decoded(original)
    style = COPY_NAMES[index % len(COPY_NAMES)]
    byte_copy = copies / f"{style.format(stem)}{original.suffix}"
    if not byte_copy.exists():
        shutil.copyfile(original, byte_copy)
    files[byte_copy] = "byte copy, copy-style name"
    jpeg = "jpg"
    plan: list[tuple[Path, str, tuple[str, int, bytes]]] = [
        (copies / f"{stem}-1.{jpeg}", "recompressed q70", ("JPEG", 70, b"")),
        (exports / f"{stem}.{jpeg}", "recompressed q50", ("JPEG", 50, exif)),
        (copies / f"{stem}.png", "PNG conversion", ("PNG", 0, b"")),
        (exports / f"{stem}.webp", "WebP conversion", ("WEBP", 80, b"")),
        (copies / f"{stem}_small.{jpeg}", "half-size copy", ("half", 85, b"")),
        (exports / f"{stem}_bright.{jpeg}", "brightened copy", ("bright", 92, b"")),
    ]
    if heic:
        plan.append((copies / f"{stem}.jpg", "JPEG conversion of a HEIC", ("JPEG", 92, exif)))
    else:
        plan.append((copies / f"{stem} (2).jpg", "resaved without EXIF", ("JPEG", 95, b"")))
    for target, kind, (fmt, quality, keep) in rng.sample(plan, 4):
        if not target.exists():
            _save(_changed(decoded, fmt), target, _format(fmt), quality, keep)
        files[target] = kind
    _shuffle_times(files, rng)
    for path, kind in files.items():
        rel = str(path.relative_to(data.folder))
        data.original[rel] = str(original.relative_to(data.folder))
        data.kind[rel] = kind


def _decoded(path: Path) -> Image.Image:
    from twinlens.engine.media.decode import register_heif

    register_heif()
    with Image.open(path) as opened:
        return opened.convert("RGB")


def _changed(image: Image.Image, how: str) -> Image.Image:
    if how == "half":
        return image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    if how == "bright":
        return ImageEnhance.Brightness(image).enhance(1.2)
    return image


def _format(how: str) -> str:
    return "JPEG" if how in ("half", "bright") else how


def _save(image: Image.Image, path: Path, fmt: str, quality: int, exif: bytes) -> None:
    options: dict[str, object] = {"exif": exif} if exif else {}
    if fmt in ("JPEG", "WEBP", "HEIF"):
        options["quality"] = quality
    if fmt == "HEIF":
        from twinlens.engine.media.decode import register_heif

        register_heif()
    image.save(path, fmt, **options)


def _shuffle_times(files: dict[Path, str], rng: random.Random) -> None:
    """Distinct file times in a random order: the original is the oldest 1 time in N."""
    base = 1_500_000_000 + rng.randrange(10**7)
    order = list(files)
    rng.shuffle(order)
    for position, path in enumerate(order):
        stamp = base + position * 3600
        os.utime(path, (stamp, stamp))


def evaluate(data: Dataset, library_path: Path) -> dict[str, object]:
    """Scan the split's folder; for each group holding an original, is it the keeper?"""
    with Library(library_path) as library:
        library.run_scan(library.add_roots([data.folder]))
        started = time.perf_counter()
        groups = library.duplicate_groups()
        elapsed = time.perf_counter() - started
    kept = wrong = 0
    instead: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    oldest = 0
    failures: list[tuple[str, str, str]] = []
    for group in groups:
        rels = [str(Path(p).relative_to(data.folder)) for p in group.paths]
        sources = Counter(data.original[r] for r in rels)
        source = sources.most_common(1)[0][0]
        if source not in rels:
            continue  # a group of copies only (its original is in another group)
        keeper = str(Path(group.keeper).relative_to(data.folder))
        mtimes = {r: os.stat(data.folder / r).st_mtime for r in rels}
        oldest += min(mtimes, key=lambda r: mtimes[r]) == source
        reasons[group.keeper_reason.split(":")[0].split(" (")[0]] += 1
        if keeper == source:
            kept += 1
            continue
        wrong += 1
        instead[data.kind.get(keeper, "?")] += 1
        failures.append((source, keeper, group.keeper_reason))
    total = kept + wrong
    return {
        "groups_with_original": total,
        "keeper_is_original": kept,
        "rate": kept / total if total else 0.0,
        "original_was_oldest_file": oldest,
        "kept_instead_by_kind": dict(instead),
        "deciding_criteria": dict(reasons),
        "failures": failures[:30],
        "files": len(data.kind),
        "originals": sum(1 for k in data.kind.values() if not k),
        "dupes_seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="report", choices=["calibration", "report"])
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    data = build(args.split)
    library = WORK / f"{args.split}.twinlens"
    for stale in library.parent.glob(library.name + "*"):
        stale.unlink()
    result = evaluate(data, library)
    print(f"split {args.split}: {result['files']} files, {result['originals']} originals")
    print(
        f"keeper is the original in {result['keeper_is_original']} of"
        f" {result['groups_with_original']} groups that hold it ({result['rate']:.1%});"
        f" the original was the oldest file in {result['original_was_oldest_file']}"
    )
    print("deciding criterion:", json.dumps(result["deciding_criteria"], ensure_ascii=False))
    if result["kept_instead_by_kind"]:
        print("kept instead:", json.dumps(result["kept_instead_by_kind"]))
        for source, keeper, why in result["failures"]:  # type: ignore[attr-defined]
            print(f"  {source} -> kept {keeper} ({why})")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
