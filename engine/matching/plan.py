"""Which learned code proposes duplicate candidates, read from the model's metadata."""

from __future__ import annotations

from twinlens.engine.model.meta import ModelMeta

from .duplicates import CandidatePlan

DUPLICATE = "duplicate"
SEMANTIC = "semantic"
STAND_IN_NEIGHBOURS = 5
"""Until a model has a duplicate code, each photo's 5 nearest by the semantic code..."""
STAND_IN_RADIUS = 12
"""...within 12 bits: a bounded budget, linear in the library size however dense it is."""


def candidate_plan(meta: ModelMeta) -> CandidatePlan:
    """The model's duplicate code with its calibrated radius, else the semantic stand-in."""
    if DUPLICATE in meta.code_kinds:
        radius = meta.candidate_radius(DUPLICATE)
        return CandidatePlan(DUPLICATE, meta.candidate_neighbours(DUPLICATE), radius)
    return CandidatePlan(SEMANTIC, STAND_IN_NEIGHBOURS, STAND_IN_RADIUS)
