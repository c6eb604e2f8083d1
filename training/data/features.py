"""Precomputed backbone features, cached on disk, for fitting hashing heads.

Why: the backbone is frozen, and one pass over CIFAR-10 costs over half an hour on a 2-core
CPU, while fitting ITQ (or, later, a learned hashing head) on the 1280-d features takes
seconds. So the features are computed once, in resumable chunks, and every later fit reads
them with ``load_or_compute(name)``.

Every image goes through ``twinlens.engine.model.preprocess.to_batch`` with the default
``PreprocessConfig`` (a 32x32 CIFAR image is bicubically upsampled to 224x224), exactly as the
app will feed the exported model. Features are stored as float16 ``.npy`` files in
``cache/features/`` (git-ignored) under names that include the backbone id.

Run ``python -m twinlens.training.data.features [name ...]`` to fill the cache; with no names it
computes all of ``DATASETS``. The backbone runs on onnxruntime (the app's runtime), exported
once from the torch definition in ``backbone.py``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from twinlens.engine.errors import DecodeError
from twinlens.engine.media.decode import decode_photo
from twinlens.engine.model.preprocess import PreprocessConfig, to_batch
from twinlens.training.model.backbone import BACKBONE_ID

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / "cache" / "features"
DATA_DIR = Path(os.environ.get("TWINLENS_SHARED", REPO_ROOT.parent / "shared")) / "data"
CIFAR_PATH = DATA_DIR / "cifar10.npz"
PHOTO_DIR = DATA_DIR / "photos"
PHOTO_FOLDERS = ("kodak", "ukbench", "imagededup_ukbench")
PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}

DATASETS = ("photos", "cifar10_train", "cifar10_test")
"""Filled by default; on request ``cifar10_train_view<V>`` (augmented view V of the train
set, the semantic code's +VC) and ``cifar10_train_edit<V>`` (edited copy V, the duplicate
code's positives)."""
BATCH_SIZE = 128
CHUNK_SIZE = 2560
"""Images per resumable part file (20 batches, about 1.5 minutes on 2 cores)."""


def load_photo(path: Path) -> Image.Image:
    """Decode a photo exactly as the app does (engine.media.decode: EXIF orientation, RGB,
    JPEG decoded reduced to the model's size), so training sees the app's pixels.

    Raises:
        DecodeError: the file cannot be decoded.
    """
    return decode_photo(path, min_size=PreprocessConfig().height).image


def photo_paths() -> list[Path]:
    """All decodable real photos under ``PHOTO_DIR``, sorted; undecodable files are skipped."""
    paths = []
    for folder in PHOTO_FOLDERS:
        for path in sorted((PHOTO_DIR / folder).iterdir()):
            if path.suffix.lower() not in PHOTO_SUFFIXES:
                continue
            try:
                load_photo(path)
            except DecodeError as exc:
                print(f"skipping undecodable {path.name}: {exc.__class__.__name__}")
                continue
            paths.append(path)
    return paths


def cache_path(name: str) -> Path:
    """Where the features of dataset ``name`` are cached."""
    return CACHE_DIR / f"{BACKBONE_ID}_{name}.npy"


DUPLICATE_VIEW_SIDE = 128
"""CIFAR images are enlarged to this side (bicubic) before an edited view is made, so text,
JPEG blocks and tilts act at a photo-like scale rather than on 32 pixels."""


def _cifar_loader(
    split: str, view: int | None = None, edited: bool = False
) -> tuple[int, Callable[[int, int], list[Image.Image]]]:
    """CIFAR images of ``split``; with ``view``, that augmented view of each (``augment.py``),
    or with ``edited`` too, that edited copy (``views.duplicate_view``)."""
    from .augment import augment, view_seed
    from .views import duplicate_view

    with np.load(CIFAR_PATH) as data:
        pixels = data[f"x_{split}"]

    def make(image: Image.Image, seed: int) -> Image.Image:
        if not edited:
            return augment(image, seed)
        side = DUPLICATE_VIEW_SIDE
        return duplicate_view(image.resize((side, side), Image.Resampling.BICUBIC), seed)

    def load(start: int, stop: int) -> list[Image.Image]:
        images = [Image.fromarray(pixels[i]) for i in range(start, stop)]
        if view is None:
            return images
        return [make(im, view_seed(view, start + j)) for j, im in enumerate(images)]

    return len(pixels), load


def _photo_loader() -> tuple[int, Callable[[int, int], list[Image.Image]]]:
    paths = photo_paths()
    names = [str(p.relative_to(PHOTO_DIR)) for p in paths]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cache_path("photos").with_suffix(".json").write_text(json.dumps(names, indent=0))

    def load(start: int, stop: int) -> list[Image.Image]:
        return [load_photo(p) for p in paths[start:stop]]

    return len(paths), load


def photo_names() -> list[str]:
    """Names (relative to ``PHOTO_DIR``) of the rows of the ``photos`` features, in order."""
    load_or_compute("photos")
    return json.loads(cache_path("photos").with_suffix(".json").read_text())


def _loader(name: str) -> tuple[int, Callable[[int, int], list[Image.Image]]]:
    if name == "photos":
        return _photo_loader()
    if name in ("cifar10_train", "cifar10_test"):
        return _cifar_loader(name.removeprefix("cifar10_"))
    if name.startswith("cifar10_train_view") and name.removeprefix("cifar10_train_view").isdigit():
        return _cifar_loader("train", int(name.removeprefix("cifar10_train_view")))
    if name.startswith("cifar10_train_edit") and name.removeprefix("cifar10_train_edit").isdigit():
        return _cifar_loader("train", int(name.removeprefix("cifar10_train_edit")), edited=True)
    raise KeyError(f"unknown feature set {name!r}; known: {DATASETS}")


def _batches(start: int, stop: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(start, stop, size):
        yield lo, min(lo + size, stop)


def _backbone_onnx() -> Path:
    """The frozen backbone as an ONNX graph (image -> pooled features), exported once.

    Why: onnxruntime is the app's runtime and about twice as fast as eager torch on this CPU,
    so the cache is filled with the very graph form the app runs.
    """
    import torch

    from twinlens.training.model.backbone import load_backbone

    path = CACHE_DIR / f"{BACKBONE_ID}_backbone.onnx"
    if path.exists():
        return path

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = load_backbone()

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return self.backbone.forward_features(image)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.onnx")
    torch.onnx.export(
        Pooled().eval(),
        (torch.zeros(2, 3, 224, 224),),
        str(tmp),
        input_names=["image"],
        output_names=["features"],
        dynamic_axes={"image": {0: "batch"}, "features": {0: "batch"}},
        opset_version=17,
        dynamo=False,  # the TorchScript exporter folds the static TF pads into constants
    )
    tmp.replace(path)
    return path


def _feature_function() -> Callable[[np.ndarray], np.ndarray]:
    """image batch (N,3,224,224) float32 -> (N,1280) features, on onnxruntime (2 threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(
        str(_backbone_onnx()), options, providers=["CPUExecutionProvider"]
    )
    return lambda batch: session.run(["features"], {"image": batch})[0]


def compute(
    name: str, loader: tuple[int, Callable[[int, int], list[Image.Image]]] | None = None
) -> np.ndarray:
    """Compute the features of dataset ``name`` (or of ``loader``'s images, cached under
    ``name``), resuming from finished part files.

    Returns:
        (N, 1280) float16 features, also saved at ``cache_path(name)``.
    """
    count, load = loader if loader is not None else _loader(name)
    features_of = _feature_function()
    config = PreprocessConfig()
    out = cache_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    started = time.perf_counter()
    done_here = 0
    for chunk_index, (c_lo, c_hi) in enumerate(_batches(0, count, CHUNK_SIZE)):
        part = out.with_name(f"{out.stem}.part{chunk_index:03d}.npy")
        parts.append(part)
        if part.exists():
            continue
        feats = []
        for lo, hi in _batches(c_lo, c_hi, BATCH_SIZE):
            emb = features_of(to_batch(load(lo, hi), config))
            feats.append(emb.astype(np.float16))
            done_here += hi - lo
            rate = done_here / (time.perf_counter() - started)
            print(f"{name}: {hi}/{count} images, {rate:.1f} images/s", flush=True)
        tmp = part.with_name(part.stem + ".tmp.npy")
        np.save(tmp, np.concatenate(feats))
        tmp.replace(part)
    features = np.concatenate([np.load(p) for p in parts])
    assert features.shape == (count, 1280), features.shape
    tmp = out.with_name(out.stem + ".tmp.npy")
    np.save(tmp, features)
    tmp.replace(out)
    for part in parts:
        part.unlink()
    elapsed = time.perf_counter() - started
    if done_here:
        print(f"{name}: {done_here} images in {elapsed:.0f} s ({done_here / elapsed:.1f} images/s)")
    return features


def load_or_compute(name: str) -> np.ndarray:
    """The cached (N, 1280) float16 features of dataset ``name``, computed if absent.

    Args:
        name: one of ``DATASETS``: ``photos``, ``cifar10_train`` or ``cifar10_test``.
    """
    path = cache_path(name)
    if path.exists() and (name != "photos" or path.with_suffix(".json").exists()):
        return np.load(path)
    return compute(name)


def file_features(name: str, paths: Sequence[Path]) -> np.ndarray:
    """Features of photo files (decoded as the app decodes them), cached under ``name``
    together with the list of files, so a different list is computed afresh."""
    listing = cache_path(name).with_suffix(".json")
    names = [str(p) for p in paths]
    path = cache_path(name)
    if listing.exists() and json.loads(listing.read_text()) == names:
        if path.exists():
            return np.load(path)
    else:  # another list of files: nothing cached under this name is theirs
        path.unlink(missing_ok=True)
        for stale in path.parent.glob(f"{path.stem}.part*.npy"):
            stale.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(json.dumps(names, indent=0))

    def load(start: int, stop: int) -> list[Image.Image]:
        return [load_photo(p) for p in paths[start:stop]]

    return compute(name, (len(paths), load))


def main(argv: Sequence[str]) -> None:
    """Fill the cache for the named datasets (all of them when none is named)."""
    for name in argv or DATASETS:
        features = load_or_compute(name)
        print(f"{name}: {features.shape} {features.dtype} at {cache_path(name)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
