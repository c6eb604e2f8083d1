"""Classical hashing baselines on the same cached features: LSH and ITQ.

Why both: LSH (random hyperplanes) is the floor any learned code must clear; ITQ is the
strong unsupervised linear baseline and the app's first model (``itq.py``). Both see the same
standardised features as the learned models, so the comparison is about the hashing method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinlens.training.data.splits import Scaler

from .itq import ITQ, fit_itq


@dataclass(frozen=True)
class LSH:
    """Sign random projections of centred (standardised) features (Charikar 2002)."""

    scaler: Scaler
    planes: np.ndarray

    def encode(self, features: np.ndarray) -> np.ndarray:
        """(N, D) raw features -> (N, bits) uint8."""
        return (self.scaler.transform(features) @ self.planes > 0).astype(np.uint8)


def fit_lsh(features: np.ndarray, bits: int, seed: int = 0) -> LSH:
    """Random Gaussian hyperplanes through the mean of the training features."""
    rng = np.random.default_rng(seed)
    planes = rng.standard_normal((features.shape[1], bits)).astype(np.float32)
    return LSH(Scaler.fit(features), planes)


@dataclass(frozen=True)
class ScaledITQ:
    """ITQ fitted on standardised features."""

    scaler: Scaler
    itq: ITQ

    def encode(self, features: np.ndarray) -> np.ndarray:
        return self.itq.encode(self.scaler.transform(features))


def fit_scaled_itq(features: np.ndarray, bits: int, seed: int = 0) -> ScaledITQ:
    """ITQ (50 iterations) on standardised features."""
    scaler = Scaler.fit(features)
    return ScaledITQ(scaler, fit_itq(scaler.transform(features), bits=bits, seed=seed))
