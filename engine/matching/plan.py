"""Which learned codes propose duplicate candidates, read from the model's metadata."""

from __future__ import annotations

from twinlens.engine.model.encoder import DUPLICATE, SEMANTIC
from twinlens.engine.model.meta import ModelMeta

from .duplicates import CandidatePlan

SEMANTIC_NEIGHBOURS = 5
"""Each photo's 5 nearest by the semantic code..."""
SEMANTIC_RADIUS = 12
"""...within 12 bits: a bounded budget, linear in the library size however dense it is.
Kept beside a duplicate code: measured end to end (docs/calibration.md), the semantic
neighbours still bring crops and tilts that the duplicate code alone misses."""


def candidate_plans(meta: ModelMeta) -> tuple[CandidatePlan, ...]:
    """The semantic code's nearest neighbours, plus the model's duplicate code (with its
    calibrated radius and neighbour count) when the model file has one."""
    plans = [
        CandidatePlan(SEMANTIC, SEMANTIC_NEIGHBOURS, SEMANTIC_RADIUS, meta.code(SEMANTIC).bits)
    ]
    if DUPLICATE in meta.code_kinds:
        plans.append(
            CandidatePlan(
                DUPLICATE,
                meta.candidate_neighbours(DUPLICATE),
                meta.candidate_radius(DUPLICATE),
                meta.code(DUPLICATE).bits,
            )
        )
    return tuple(plans)
