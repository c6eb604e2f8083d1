"""Iterative Quantization (ITQ) hashing head: PCA followed by a learned rotation.

Why: the first model needs binary codes whose Hamming distance tracks feature similarity,
without a training loop. ITQ (Gong & Lazebnik, CVPR 2011) gets there in seconds from frozen
features: centre, project onto the top principal components, then rotate so that the
projected data sit as close as possible to the corners of the hypercube, which loses the
least information when each dimension is cut at zero. Mean and rotation fold into one affine
map, ``bits = ((x - mean) @ W) > 0``, that the ONNX graph evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ITQ:
    """A fitted ITQ head."""

    mean: np.ndarray
    """(D,) float32 feature mean."""
    projection: np.ndarray
    """(D, bits) float32: PCA basis times the learned rotation."""
    losses: tuple[float, ...] = ()
    """Mean squared quantisation error ``||B - V R||^2 / N`` after each iteration."""

    @property
    def bits(self) -> int:
        """Code length."""
        return int(self.projection.shape[1])

    def project(self, features: np.ndarray) -> np.ndarray:
        """(N, D) features -> (N, bits) real-valued projections; the sign gives the code."""
        return (np.asarray(features, dtype=np.float32) - self.mean) @ self.projection

    def encode(self, features: np.ndarray) -> np.ndarray:
        """(N, D) features -> (N, bits) uint8 codes of 0/1 (bit = projection > 0)."""
        return (self.project(features) > 0).astype(np.uint8)


def fit_itq(features: np.ndarray, bits: int = 64, iterations: int = 50, seed: int = 0) -> ITQ:
    """Fit ITQ on features (computed in float64 for a stable eigendecomposition).

    Args:
        features: (N, D) training features, N >= bits.
        bits: code length (number of principal components kept).
        iterations: rounds of alternating code update / orthogonal Procrustes rotation.
        seed: seed of the random orthogonal initial rotation.

    Returns:
        The fitted head, with ``projection = PCA @ R``.
    """
    x = np.asarray(features, dtype=np.float64)
    mean = x.mean(axis=0)
    x = x - mean
    cov = x.T @ x / len(x)
    eigvals, eigvecs = np.linalg.eigh(cov)
    pca = eigvecs[:, np.argsort(eigvals)[::-1][:bits]]
    v = x @ pca
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((bits, bits)))
    losses = []
    for _ in range(iterations):
        codes = np.where(v @ rotation >= 0, 1.0, -1.0)
        # Orthogonal Procrustes: R = argmin ||B - V R||_F = U W^T where V^T B = U S W^T.
        u, _, wt = np.linalg.svd(v.T @ codes)
        rotation = u @ wt
        losses.append(float(np.sum((codes - v @ rotation) ** 2) / len(x)))
    return ITQ(
        mean=mean.astype(np.float32),
        projection=(pca @ rotation).astype(np.float32),
        losses=tuple(losses),
    )
