"""The indexed contents of a library as matching sees them: one row per distinct content.

Built by the Library from one pass over the store (matching never reads the database), and
shared by duplicate grouping and search by example, so both see the same codes and the same
pixel signatures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinlens.engine.model.codes import from_blobs, words_for

from .candidates import signature_codes
from .content import Candidate
from .hamming import CodeIndex


@dataclass
class Collection:
    """Contents with their files and facts, and their codes by kind (rows aligned)."""

    candidates: list[Candidate]
    codes: dict[str, np.ndarray]
    """Kind -> (N, words) uint64, row i the code of ``candidates[i]``."""
    bits: dict[str, int]
    _row_of: dict[str, int] = field(default_factory=dict, repr=False)
    _indexes: dict[str, CodeIndex] = field(default_factory=dict, repr=False)
    _signatures: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _upright: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._row_of = {c.hash: i for i, c in enumerate(self.candidates)}

    def index(self, kind: str) -> CodeIndex:
        """A search index over the ``kind`` codes, built on first use and kept."""
        if kind not in self._indexes:
            self._indexes[kind] = CodeIndex(self.codes[kind])
        return self._indexes[kind]

    def signatures(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 8, 1) packed signature bits in each dihedral variant, and which rows have
        one (candidates.signature_codes), built on first use and kept."""
        if self._signatures is None:
            self._signatures = signature_codes([c.signature for c in self.candidates])
        return self._signatures

    def upright_signatures(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows that have a signature, their upright packed signature words), kept: a
        search compares a query's 8 variants with these, once per query."""
        if self._upright is None:
            packed, has = self.signatures()
            rows = np.flatnonzero(has)
            self._upright = rows, np.ascontiguousarray(packed[rows, 0, 0])
        return self._upright

    def __len__(self) -> int:
        return len(self.candidates)

    def row_of(self, content: str) -> int | None:
        return self._row_of.get(content)

    @classmethod
    def of(
        cls, candidates: list[Candidate], blobs: Mapping[str, Sequence[bytes]], bits: dict[str, int]
    ) -> Collection:
        """From a Candidate per content and its code blobs by kind (rows aligned)."""
        codes = {k: from_blobs(list(found), words_for(bits[k])) for k, found in blobs.items()}
        return cls(candidates, codes, bits)
