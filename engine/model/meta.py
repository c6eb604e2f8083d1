"""The metadata a Twinlens model file carries inside itself.

The ONNX file is the single source of truth for how to feed the model (timm's words:
``input_size``, ``mean``, ``std``, ``interpolation``), how long its codes are, which Hamming
radius means which duplicate tier, and which model produced a code. Stored as ONNX
``metadata_props`` (string to string); lists and tuples are JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from twinlens.engine.errors import ModelError
from twinlens.engine.tiers import TIER_EDITED_COPY, TIER_SAME_PHOTO, TIER_SIMILAR_SHOT

from .preprocess import PreprocessConfig

FORMAT_VERSION = 1
"""Version of this metadata schema; a model written by a newer schema is refused."""

# Radii are inclusive (distance <= radius); the tiers themselves: engine/tiers.py.


@dataclass(frozen=True)
class ModelMeta:
    """Everything the engine must know about a model, read from the model file."""

    model_id: str
    model_version: str
    bits: int
    preprocess: PreprocessConfig
    tier_radii: dict[str, int]
    """Hamming radius of each code tier: ``same_photo``, ``edited_copy``, ``similar_shot``."""
    tier_precision: dict[str, float] = field(default_factory=dict)
    """Measured precision of each tier on the calibration set, where it was measured."""
    embedding_dim: int = 0
    description: str = ""
    training_commit: str = ""

    @property
    def key(self) -> str:
        """The identity codes are recorded under: a different key means re-encoding."""
        return f"{self.model_id}@{self.model_version}"

    @property
    def code_kinds(self) -> tuple[str, ...]:
        """The kinds of code this model gives each photo (its file's ``bits`` output)."""
        return ("semantic",)

    def candidate_radius(self, kind: str) -> int:
        """The radius within which ``kind`` codes propose duplicate candidates."""
        return self.tier_radii[TIER_EDITED_COPY]

    def candidate_neighbours(self, kind: str) -> int:
        """How many nearest contents by ``kind`` code each photo proposes."""
        return 5

    def radius(self, tier: str) -> int:
        return self.tier_radii[tier]

    def to_props(self) -> dict[str, str]:
        """The metadata as ONNX ``metadata_props`` (all values strings)."""
        pre = self.preprocess
        return {
            "twinlens_format": str(FORMAT_VERSION),
            "model_id": self.model_id,
            "model_version": self.model_version,
            "bits": str(self.bits),
            "input_size": json.dumps(list(pre.input_size)),
            "mean": json.dumps(list(pre.mean)),
            "std": json.dumps(list(pre.std)),
            "interpolation": pre.interpolation,
            "tier_radii": json.dumps(self.tier_radii, sort_keys=True),
            "tier_precision": json.dumps(self.tier_precision, sort_keys=True),
            "embedding_dim": str(self.embedding_dim),
            "description": self.description,
            "training_commit": self.training_commit,
        }

    @classmethod
    def from_props(cls, props: dict[str, str]) -> ModelMeta:
        """Parse and validate ``metadata_props``; a bad or missing field is a ModelError."""
        try:
            fmt = int(props.get("twinlens_format", "0"))
            if fmt < 1:
                raise ModelError("the model file carries no Twinlens metadata")
            if fmt > FORMAT_VERSION:
                raise ModelError(
                    f"the model file uses metadata format {fmt}; this Twinlens reads up to "
                    f"{FORMAT_VERSION}: update Twinlens"
                )
            size = tuple(int(v) for v in json.loads(props["input_size"]))
            preprocess = PreprocessConfig(
                input_size=(size[0], size[1], size[2]),
                mean=_triple(props["mean"]),
                std=_triple(props["std"]),
                interpolation=props["interpolation"],
            )
            radii = {str(k): int(v) for k, v in json.loads(props["tier_radii"]).items()}
            precision = {
                str(k): float(v) for k, v in json.loads(props.get("tier_precision", "{}")).items()
            }
            meta = cls(
                model_id=props["model_id"],
                model_version=props["model_version"],
                bits=int(props["bits"]),
                preprocess=preprocess,
                tier_radii=radii,
                tier_precision=precision,
                embedding_dim=int(props.get("embedding_dim", "0")),
                description=props.get("description", ""),
                training_commit=props.get("training_commit", ""),
            )
        except ModelError:
            raise
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise ModelError(f"the model file's metadata is invalid: {exc!r}") from exc
        meta.validate()
        return meta

    def validate(self) -> None:
        """Refuse metadata the engine cannot use safely."""
        if self.bits <= 0:
            raise ModelError(f"the model declares {self.bits} bits")
        missing = {TIER_SAME_PHOTO, TIER_EDITED_COPY, TIER_SIMILAR_SHOT} - set(self.tier_radii)
        if missing:
            raise ModelError(f"the model's metadata lacks tier radii for {sorted(missing)}")
        radii = [self.tier_radii[t] for t in (TIER_SAME_PHOTO, TIER_EDITED_COPY, TIER_SIMILAR_SHOT)]
        if radii[0] > radii[1] or min(radii) < 0 or max(radii) > self.bits:
            raise ModelError(f"the model's tier radii are not ordered within the code: {radii}")


def _triple(text: str) -> tuple[float, float, float]:
    values = [float(v) for v in json.loads(text)]
    if len(values) != 3:
        raise ValueError(f"expected 3 values, got {values}")
    return (values[0], values[1], values[2])
