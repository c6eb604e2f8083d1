"""Many groups' removals as one step: "select all but the keeper", ``trash --from-dupes``.

Each selection (the files to remove from one group) is checked on its own by the last-copy
rule (rules.py), counting the files that earlier selections of the same step remove as
gone, so no group ever loses its last copy however the selections overlap. A refused
selection is reported with its reason and the others go ahead; what is accepted becomes one
journal step, so one ``undo`` brings it all back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinlens.engine.errors import TrashRefused
from twinlens.engine.matching.groups import DuplicateGroup
from twinlens.engine.storage.store import PhotoRow, Store

from .rules import RemovalPlan, normalise, plan_removal


@dataclass
class BatchPlan:
    """The accepted files as one plan, and each refused selection with why."""

    plan: RemovalPlan
    refused: list[tuple[list[str], str]] = field(default_factory=list)


def plan_batch(
    store: Store,
    selections: Sequence[Sequence[str]],
    roots: Sequence[Path],
    groups: Sequence[DuplicateGroup],
    references: Sequence[Path] = (),
    protected: Mapping[str, str] | None = None,
) -> BatchPlan:
    """Check every selection (rules.py), in order; merge the accepted ones."""
    files: dict[str, PhotoRow] = {}
    survivors: dict[str, PhotoRow] = {}
    refused: list[tuple[list[str], str]] = []
    for selection in selections:
        wanted = {p: g for p, g in normalise(list(selection)).items() if p not in files}
        if not wanted:
            continue
        try:
            plan = plan_removal(
                store, wanted, roots, groups, references, protected, leaving=files.keys()
            )
        except TrashRefused as exc:
            refused.append((list(wanted.values()), str(exc)))
            continue
        files.update((row.path, row) for row in plan.files)
        survivors.update((row.path, row) for row in plan.survivors)
    staying = [row for path, row in survivors.items() if path not in files]
    return BatchPlan(RemovalPlan(list(files.values()), staying), refused)
