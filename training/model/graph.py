# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The code-driven graph: adjacency from the batch's binary codes, one graph convolution.

Why it teaches the codes anything: the decoder reconstructs each feature from its neighbours'
continuous codes, weighted by the Hamming affinity of the *binary* codes. Codes that put
similar images close together make reconstruction easier, and the gradient reaches the bits
through the adjacency (straight-through). The graph exists only inside a training batch.
"""

from __future__ import annotations

import torch
from torch import nn

DEGREE_EPS = 1e-8


def code_adjacency(bits: torch.Tensor, exponent: float) -> torch.Tensor:
    """A_ij = (1 - d_ij / M) ** exponent for {0,1} codes (A_ii = 1), differentiable in bits.

    The Hamming distance of {0,1} codes is ``b_i (1 - b_j) + (1 - b_i) b_j`` summed over bits.
    """
    m = bits.shape[1]
    dist = bits @ (1.0 - bits).T + (1.0 - bits) @ bits.T
    affinity = (1.0 - dist / m).clamp_min(0.0)
    # pow has an infinite gradient at 0 for exponents < 1; keep the base off exactly 0.
    return (affinity + 1e-6).pow(exponent)


def normalise_adjacency(adj: torch.Tensor) -> torch.Tensor:
    """Symmetric normalisation D^-1/2 A D^-1/2 with D = diag(A 1)."""
    inv_sqrt = (adj.sum(dim=1) + DEGREE_EPS).rsqrt()
    return inv_sqrt[:, None] * adj * inv_sqrt[None, :]


class GraphConv(nn.Module):
    """z' = sigmoid(Â (z W + c)): one propagation step over the code graph (TBH)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, z: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """(N, L) continuous codes and (N, N) adjacency -> (N, L) in (0, 1)."""
        return torch.sigmoid(normalise_adjacency(adj) @ self.fc(z))
