# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Decoder: graph-convolved continuous code -> reconstructed (standardised) feature.

The output layer is linear because the target is the standardised feature (zero mean, unit
variance per dimension), which a sigmoid could not reach (the defect of the TBH-VAE code,
method notes 1.2).
"""

from __future__ import annotations

import torch
from torch import nn


class Decoder(nn.Module):
    """L -> hidden (ReLU) -> in_dim (linear), TBH's two-layer decoder."""

    def __init__(self, dim: int, hidden: int, out_dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, L) -> (N, out_dim)."""
        return self.net(z)
