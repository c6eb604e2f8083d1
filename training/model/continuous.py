# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The continuous bottleneck: a Gaussian VAE head (TBH-VAE) or TBH's deterministic sigmoid.

The Gaussian head parameterises the standard deviation with a softplus, uses it as a standard
deviation everywhere (sample and KL alike) and is paired with the analytic KL to N(0, I), the
consistent version of what the public TBH-VAE code does with a raw std in one place and a
log-std in another (method notes 2.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

MIN_STD = 1e-4


@dataclass
class GaussianOutput:
    """Posterior mean, standard deviation and the sample that feeds the graph."""

    mu: torch.Tensor
    std: torch.Tensor
    z: torch.Tensor


class GaussianBottleneck(nn.Module):
    """Dense hidden -> (mu, std) of L dims; z = mu + std * eps while training, mu at test."""

    def __init__(self, hidden: int, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(hidden, 2 * dim)

    def forward(self, h: torch.Tensor, sample: bool) -> GaussianOutput:
        """Posterior parameters and a reparameterised sample (the mean when not sampling)."""
        mu, raw = self.fc(h).chunk(2, dim=-1)
        std = F.softplus(raw) + MIN_STD
        z = mu + std * torch.randn_like(std) if sample else mu
        return GaussianOutput(mu, std, z)


def gaussian_kl(mu: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Analytic KL(N(mu, std^2) || N(0, 1)) summed over dims, mean over the batch."""
    kl = 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)
    return kl.sum(dim=-1).mean()


class SigmoidBottleneck(nn.Module):
    """TBH's continuous bottleneck: Dense hidden -> L with a sigmoid, deterministic."""

    def __init__(self, hidden: int, dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(hidden, dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(N, hidden) -> (N, L) in (0, 1)."""
        return torch.sigmoid(self.fc(h))
