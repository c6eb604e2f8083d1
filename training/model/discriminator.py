# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Critics for the adversarial terms: GCN output vs U[0,1] samples, codes vs Bernoulli(0.5).

TBH's critics are single dense layers (logistic regression), which can only see first moments;
``hidden > 0`` gives one hidden layer for a stronger critic. Both return logits; the losses
apply the sigmoid inside a numerically safe BCE.
"""

from __future__ import annotations

import torch
from torch import nn


class Critic(nn.Module):
    """Real/fake logit of a (N, dim) batch."""

    def __init__(self, dim: int, hidden: int = 0) -> None:
        super().__init__()
        if hidden > 0:
            self.net: nn.Module = nn.Sequential(
                nn.Linear(dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
            )
        else:
            self.net = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, dim) -> (N,) logits."""
        return self.net(x).squeeze(-1)


def uniform_prior(like: torch.Tensor) -> torch.Tensor:
    """Real samples for the GCN-output critic: U[0,1] of the same shape."""
    return torch.rand_like(like)


def bernoulli_prior(like: torch.Tensor) -> torch.Tensor:
    """Real samples for TBH's code critic: Bernoulli(0.5) of the same shape."""
    return torch.bernoulli(torch.full_like(like, 0.5))
