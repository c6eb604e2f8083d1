"""Runs the ONNX model with onnxruntime: CUDA when it really works, the CPU otherwise.

The model file carries its own preprocessing and tiers (model_meta.py); this module only
turns batches of decoded photos into packed codes and embeddings.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twinlens.engine.errors import ModelError

from .codes import pack_bits
from .meta import ModelMeta

log = logging.getLogger(__name__)

_CUDA = "CUDAExecutionProvider"
_CPU = "CPUExecutionProvider"


SEMANTIC = "semantic"
"""The kind of the code every model has: similar pictures get close codes."""


@dataclass
class Encoded:
    """Packed codes by kind ((N, words) uint64 each) and embeddings (N, D) for one batch."""

    codes: dict[str, np.ndarray]
    embeddings: np.ndarray


def shipped_model_path() -> Path:
    """The model shipped inside the package (``resources/models``)."""
    from importlib.resources import files

    models = files("twinlens.resources").joinpath("models")
    candidates = sorted(Path(str(models)).glob("*.onnx"))
    if not candidates:
        raise ModelError(f"no model file (*.onnx) found in {models}")
    return candidates[-1]


class Encoder:
    """An onnxruntime session over one Twinlens model file."""

    def __init__(
        self, path: Path | None = None, threads: int | None = None, cpu_only: bool = False
    ) -> None:
        self.path = Path(path) if path else shipped_model_path()
        if not self.path.is_file():
            raise ModelError(f"the model file {self.path} does not exist")
        self._session = _make_session(self.path, threads, cpu_only)
        props = self._session.get_modelmeta().custom_metadata_map
        self.meta = ModelMeta.from_props(dict(props))
        self.provider = self._session.get_providers()[0]
        self._input = self._session.get_inputs()[0].name

    def encode_array(self, batch: np.ndarray) -> Encoded:
        """Codes (every kind the model has) and embeddings of a preprocessed NCHW batch."""
        specs = self.meta.code_specs
        outputs = self._session.run([s.output for s in specs] + ["embedding"], {self._input: batch})
        codes = {spec.kind: pack_bits(bits) for spec, bits in zip(specs, outputs, strict=False)}
        return Encoded(codes, np.asarray(outputs[-1], dtype=np.float32))


def _make_session(path: Path, threads: int | None, cpu_only: bool) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or max(1, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    # Decoding runs beside inference on the same cores: idle ORT threads must sleep, not spin.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # CUDA probing on GPU-less machines is noisy, not an error
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if _CUDA in ort.get_available_providers() and not cpu_only:
        # onnxruntime-gpu lists CUDA even where the CUDA libraries are missing, and then logs
        # errors while it falls back. Probe quietly; Encoder.provider says what really runs.
        ort.set_default_logger_severity(4)
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=[_CUDA, _CPU])
        except Exception as exc:  # onnxruntime raises untyped errors; fall back to the CPU
            log.info("CUDA provider unusable (%s); using the CPU", exc)
        finally:
            ort.set_default_logger_severity(2)
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=[_CPU])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"onnxruntime cannot load the model {path}: {exc}") from exc
