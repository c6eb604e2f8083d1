# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The shared encoder trunk: standardised backbone feature -> hidden representation.

Both bottlenecks read the same hidden layer, as in TBH; at test time the trunk and the binary
head are all that is exported.
"""

from __future__ import annotations

import torch
from torch import nn


class Trunk(nn.Module):
    """One dense layer with ReLU (TBH: 4096 -> 1024; here 1280 -> 1024)."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_dim) -> (N, hidden)."""
        return torch.relu(self.fc(x))
