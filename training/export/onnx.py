# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""One ONNX file that carries its metadata, checked against torch before it may ship.

Why: the app's model is a single file (style guide point 8): ``torch.onnx.export`` of the
whole graph (image -> codes + embedding), ``onnx.checker``, the metadata written in, and
onnxruntime's outputs compared with torch's on real photos and CIFAR-10 images. A file whose
codes disagree with torch (beyond logits within 1e-5 of zero) is refused.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig, to_batch
from twinlens.training.data.features import CIFAR_PATH, REPO_ROOT, load_photo, photo_paths

OPSET = 17


def export_onnx(model: nn.Module, path: Path, outputs: Sequence[str]) -> None:
    """Export one graph with a dynamic batch axis and check it with ``onnx.checker``."""
    import onnx

    dummy = torch.zeros(2, 3, 224, 224)
    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch"} for name in ("image", *outputs)}
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=list(outputs),
        dynamic_axes=axes,
        opset_version=OPSET,
        dynamo=False,  # the TorchScript exporter folds the static TF pads into constants
    )
    onnx.checker.check_model(str(path), full_check=True)


def training_commit() -> str:
    """Short hash of HEAD, or "uncommitted" when there is none (or git is unavailable)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    return result.stdout.strip() or "uncommitted"


def write_metadata(path: Path, meta: ModelMeta) -> None:
    """Replace the ONNX file's ``metadata_props`` with ``meta`` (cheap: no re-export)."""
    import onnx

    meta.validate()
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in meta.to_props().items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(path)
    if read_meta(path) != meta:
        raise RuntimeError(f"the metadata of {path} did not round-trip")


def read_meta(path: Path) -> ModelMeta:
    """The Twinlens metadata of an ONNX model file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return ModelMeta.from_props({p.key: p.value for p in model.metadata_props})


def ort_session(path: Path) -> Any:
    """An onnxruntime CPU session on 2 threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_bits(session: Any, meta: ModelMeta, images: list[Image.Image]) -> np.ndarray:
    """The ``bits`` output of the model for decoded photos, as a bool array (N, bits)."""
    (bits,) = session.run(["bits"], {"image": to_batch(images, meta.preprocess)})
    return np.asarray(bits).astype(bool)


def check_against_torch(
    path: Path,
    model: nn.Module,
    logits: Any,
    outputs: Sequence[str],
    n_cifar: int = 160,
    images: list[Image.Image] | None = None,
) -> dict[str, float]:
    """Run onnxruntime and torch on the real photos + CIFAR-10 test images; compare.

    ``model(x)`` returns the exported outputs (codes first, the embedding last) and
    ``logits(x)`` the real-valued logits of each code, so a bit may only differ where its
    logit is within 1e-5 of zero.

    Raises:
        SystemExit: onnxruntime disagrees with torch (the file must not ship).
    """
    if images is None:
        images = [load_photo(p) for p in photo_paths()]
        with np.load(CIFAR_PATH) as data:
            images += [Image.fromarray(a) for a in data["x_test"][:n_cifar]]
    session = ort_session(path)
    config = PreprocessConfig()
    codes = list(outputs[:-1])
    compared = dict.fromkeys(codes, 0)
    mismatched = dict.fromkeys(codes, 0)
    confident = dict.fromkeys(codes, 0)
    max_diff = 0.0
    for lo in range(0, len(images), 64):
        batch = to_batch(images[lo : lo + 64], config)
        ort_out = session.run(list(outputs), {"image": batch})
        with torch.inference_mode():
            x = torch.from_numpy(batch)
            torch_out = [t.numpy() for t in model(x)]
            sure = [(t.abs() >= 1e-5).numpy() for t in logits(x)]
        for name, ort_bits, torch_bits, confident_bits in zip(
            codes, ort_out[:-1], torch_out[:-1], sure, strict=True
        ):
            diff = ort_bits != torch_bits
            compared[name] += diff.size
            mismatched[name] += int(diff.sum())
            confident[name] += int((diff & confident_bits).sum())
        max_diff = max(max_diff, float(np.abs(ort_out[-1] - torch_out[-1]).max()))
    result: dict[str, float] = {"images": len(images), "max_abs_embedding_diff": max_diff}
    for name in codes:  # each code output checked on its own
        result[f"{name}_bits_compared"] = compared[name]
        result[f"{name}_mismatched_bits"] = mismatched[name]
        result[f"{name}_mismatched_bits_with_abs_logit_ge_1e-5"] = confident[name]
    print(f"onnxruntime vs torch: {result}")
    if any(confident.values()) or max_diff > 1e-4:
        raise SystemExit(f"onnxruntime disagrees with torch: {result}")
    return result
