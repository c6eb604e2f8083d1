"""Static INT8 quantisation of a Twinlens model file, and how far it moves the codes.

Why (issue 16): on a 2-core machine inference is about half of the CPU time it takes to index
a photo. A statically quantised backbone (onnxruntime ``quantize_static``: per-channel INT8
weights, activation ranges calibrated on real photos and CIFAR-10 images through the engine's
own decoding and preprocessing) runs faster, but moves the embedding and may flip code bits,
so a quantised file is measured before anyone ships it (``measure``), and its tier radii must
be re-calibrated on its own codes.

The hashing heads (every node computed from the ``embedding``) stay in float by default: they
are a few small matrix products, and quantising them adds rounding right before the sign.

The ship step calls :func:`quantize_model` on its exported file::

    quantize_model(fp32_path, int8_path, calibration_batches(read_meta(fp32_path)))

and this module's command line quantises a file and measures it against its source::

    python -m twinlens.training.export.quantize MODEL.onnx --out MODEL-int8.onnx --measure
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from twinlens.engine.model.meta import ModelMeta
from twinlens.engine.model.preprocess import PreprocessConfig, to_batch
from twinlens.training.data.features import CIFAR_PATH, load_photo, photo_paths

from .onnx import read_meta, write_metadata

ENGINE_BATCH = 32
"""Photos per inference batch, as the engine runs them (EngineConfig.batch_size)."""
FORMATS = ("qdq", "qoperator")
ACTIVATIONS = ("s8", "u8")


@dataclass(frozen=True)
class QuantizeConfig:
    """How to quantise; the defaults are the measured choice (docs/benchmarks.md)."""

    format: str = "qdq"
    """``qdq`` (QuantizeLinear/DequantizeLinear pairs, fused by onnxruntime) or ``qoperator``
    (QLinearConv and friends written into the file)."""
    activation: str = "u8"
    """Activation type: ``u8`` (asymmetric uint8, weights int8: U8S8) or ``s8`` (S8S8)."""
    per_channel: bool = True
    float_heads: bool = True
    """Keep every node computed from the ``embedding`` output (the hashing heads) in float."""

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {self.format!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {self.activation!r}")

    def note(self) -> str:
        """The words added to the model's description (its metadata says it is quantised)."""
        heads = "hashing heads in float" if self.float_heads else "hashing heads quantised too"
        weights = "per-channel" if self.per_channel else "per-tensor"
        return (
            f" Statically quantised to INT8 by onnxruntime quantize_static ({self.format}, "
            f"{self.activation} activations, {weights} int8 weights, MinMax calibration, {heads};"
            " issue 16)."
        )


# -- calibration data ------------------------------------------------------------------------


def photo_split() -> tuple[list[Path], list[Path]]:
    """The real photos, halved: even positions calibrate, odd positions are held out."""
    paths = photo_paths()
    return paths[0::2], paths[1::2]


def cifar_images(split: str, count: int, start: int = 0) -> list[Image.Image]:
    """``count`` CIFAR-10 images of ``split`` (``x_train`` or ``x_test``) from ``start``."""
    with np.load(CIFAR_PATH) as data:
        return [Image.fromarray(a) for a in data[split][start : start + count]]


def to_batches(
    images: Sequence[Image.Image], config: PreprocessConfig, size: int = ENGINE_BATCH
) -> list[np.ndarray]:
    """Images through the engine's preprocessing, as NCHW float32 batches of ``size``."""
    return [to_batch(images[lo : lo + size], config) for lo in range(0, len(images), size)]


def calibration_batches(meta: ModelMeta, n_cifar: int = 256) -> list[np.ndarray]:
    """The calibration set: half of the real photos and ``n_cifar`` CIFAR-10 train images.

    Decoded as the app decodes (engine.media.decode) and preprocessed by the model's own
    metadata, so the calibrated ranges are those of the pixels the app feeds the model.
    """
    photos, _ = photo_split()
    images = [load_photo(p) for p in photos] + cifar_images("x_train", n_cifar)
    return to_batches(images, meta.preprocess)


class _Batches:
    """onnxruntime's CalibrationDataReader protocol over a list of batches."""

    def __init__(self, batches: Sequence[np.ndarray], input_name: str) -> None:
        self._items = iter(batches)
        self._input = input_name

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._items, None)
        return None if batch is None else {self._input: batch}


# -- quantising ------------------------------------------------------------------------------


def head_nodes(model: Any, tensor: str = "embedding") -> list[str]:
    """Names of the nodes computed (directly or not) from ``tensor``: the hashing heads."""
    reached = {tensor}
    names = []
    for node in model.graph.node:  # ONNX graphs are stored in topological order
        if reached.intersection(node.input):
            reached.update(node.output)
            names.append(node.name)
    return names


def quantize_model(
    source: Path,
    target: Path,
    calibration: Sequence[np.ndarray],
    config: QuantizeConfig | None = None,
    version_suffix: str = "-int8",
) -> ModelMeta:
    """Write a statically quantised copy of ``source`` to ``target``; return its metadata.

    The metadata is the source's, with ``version_suffix`` added to ``model_version`` (its codes
    are not the float file's, so a library re-encodes rather than mixing them) and a sentence
    added to the description. Tier radii are copied: re-calibrate them on the new file.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    config = config or QuantizeConfig()
    meta = read_meta(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # Folds the exporter's constant chains (padding sizes) and infers every shape, which
        # the quantiser needs to place its ranges.
        quant_pre_process(str(source), str(prepared))
        model = onnx.load(str(prepared))
        input_name = model.graph.input[0].name
        quantize_static(
            str(prepared),
            str(partial),
            _Batches(calibration, input_name),
            quant_format=QuantFormat.QDQ if config.format == "qdq" else QuantFormat.QOperator,
            per_channel=config.per_channel,
            activation_type=QuantType.QUInt8 if config.activation == "u8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=head_nodes(model) if config.float_heads else [],
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibTensorRangeSymmetric": False},
        )
    quantised = replace(
        meta,
        model_version=meta.model_version + version_suffix,
        description=meta.description + config.note(),
    )
    write_metadata(partial, quantised)
    os.replace(partial, target)
    return quantised


# -- measuring -------------------------------------------------------------------------------


def cpu_session(path: Path, threads: int) -> Any:
    """A CPU session set up as the engine sets up its own (idle threads sleep, not spin)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass
class Agreement:
    """How the quantised file's outputs compare with the float file's on one image set."""

    images: int
    embedding_cosine_mean: float
    embedding_cosine_min: float
    bits_differ: dict[str, float]
    """Per code output: the fraction of all code bits that differ."""
    median_bits_per_image: dict[str, float]
    max_bits_per_image: dict[str, int]


def _run(session: Any, outputs: list[str], batches: Sequence[np.ndarray]) -> list[np.ndarray]:
    name = session.get_inputs()[0].name
    parts = [session.run(outputs, {name: batch}) for batch in batches]
    return [np.concatenate([p[i] for p in parts]) for i in range(len(outputs))]


def agreement(
    reference: Any, quantised: Any, meta: ModelMeta, batches: Sequence[np.ndarray]
) -> Agreement:
    """Compare the codes and embeddings of two sessions on the same batches."""
    outputs = [spec.output for spec in meta.code_specs] + ["embedding"]
    ours, theirs = _run(reference, outputs, batches), _run(quantised, outputs, batches)
    a, b = ours[-1].astype(np.float64), theirs[-1].astype(np.float64)
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    flipped = [(x != y).sum(1) for x, y in zip(ours[:-1], theirs[:-1], strict=True)]
    names = outputs[:-1]
    return Agreement(
        images=len(a),
        embedding_cosine_mean=float(cosine.mean()),
        embedding_cosine_min=float(cosine.min()),
        bits_differ={
            n: float(f.sum() / o.size) for n, f, o in zip(names, flipped, ours, strict=False)
        },
        median_bits_per_image={n: float(np.median(f)) for n, f in zip(names, flipped, strict=True)},
        max_bits_per_image={n: int(f.max()) for n, f in zip(names, flipped, strict=True)},
    )


def throughput(
    paths: Sequence[Path], batch: np.ndarray, threads: int, rounds: int = 5, runs: int = 4
) -> list[float]:
    """Images per second of each file on ``batch``, the files taking turns in each round.

    Turns, rather than one file after the other, so a change in the machine's load hits every
    file alike; the best round of each is reported (the least disturbed).
    """
    sessions = [cpu_session(path, threads) for path in paths]
    for session in sessions:  # warm up: the first run allocates the arena
        session.run(None, {session.get_inputs()[0].name: batch})
    best = [0.0] * len(sessions)
    for _ in range(rounds):
        for index, session in enumerate(sessions):
            feed = {session.get_inputs()[0].name: batch}
            start = time.perf_counter()
            for _ in range(runs):
                session.run(None, feed)
            rate = runs * len(batch) / (time.perf_counter() - start)
            best[index] = max(best[index], rate)
    return best


def measure(reference: Path, quantised: Path, n_cifar: int = 1000) -> dict[str, Any]:
    """Throughput and agreement of ``quantised`` against ``reference`` on held-out images.

    Held out: the odd half of the real photos (the even half calibrates) and CIFAR-10 *test*
    images (calibration uses train images).
    """
    meta = read_meta(reference)
    _, held_out = photo_split()
    photos = to_batches([load_photo(p) for p in held_out], meta.preprocess)
    cifar = to_batches(cifar_images("x_test", n_cifar), meta.preprocess)
    batch = np.concatenate(photos + cifar)[:ENGINE_BATCH]
    speed = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        fp32, int8 = throughput([reference, quantised], batch, threads)
        speed[f"{threads}_threads"] = {"fp32": fp32, "int8": int8, "ratio": int8 / fp32}
    sessions = cpu_session(reference, 2), cpu_session(quantised, 2)
    return {
        "reference": str(reference),
        "quantised": str(quantised),
        "batch": len(batch),
        "images_per_s": speed,
        "real_photos": asdict(agreement(*sessions, meta, photos)),
        "cifar10_test": asdict(agreement(*sessions, meta, cifar)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path, help="the float Twinlens ONNX file")
    parser.add_argument("--out", type=Path, required=True, help="where the INT8 file goes")
    parser.add_argument("--format", choices=FORMATS, default=QuantizeConfig.format)
    parser.add_argument("--activation", choices=ACTIVATIONS, default=QuantizeConfig.activation)
    parser.add_argument("--per-tensor", action="store_true", help="per-tensor weight scales")
    parser.add_argument("--quantize-heads", action="store_true", help="quantise the heads too")
    parser.add_argument("--calibration-cifar", type=int, default=256, metavar="N")
    parser.add_argument("--measure", action="store_true", help="compare with the float file")
    parser.add_argument("--measure-cifar", type=int, default=1000, metavar="N")
    args = parser.parse_args(argv)
    config = QuantizeConfig(
        format=args.format,
        activation=args.activation,
        per_channel=not args.per_tensor,
        float_heads=not args.quantize_heads,
    )
    start = time.perf_counter()
    batches = calibration_batches(read_meta(args.model), args.calibration_cifar)
    meta = quantize_model(args.model, args.out, batches, config)
    print(f"wrote {args.out} ({meta.key}) in {time.perf_counter() - start:.0f} s")
    if args.measure:
        print(json.dumps(measure(args.model, args.out, args.measure_cifar), indent=2))


if __name__ == "__main__":
    main()
