# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The binary bottleneck: Bernoulli codes with a straight-through gradient.

Why one neuron serves both models: TBH's stochastic neuron ``b = 1[sigmoid(l) > eps]`` with
``eps ~ U(0, 1)`` *is* a Bernoulli(sigmoid(l)) sample, and its distributional derivative
(d b / d l := p (1 - p)) is exactly the straight-through estimator through the sigmoid. So
training samples ``b ~ Bernoulli(p)`` and passes the gradient to ``p`` unchanged; test time is
deterministic, ``b = 1[l > 0]``, which is what the exported graph computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class BinaryOutput:
    """Logits, probabilities and {0, 1} codes (with straight-through gradient when sampled)."""

    logits: torch.Tensor
    probs: torch.Tensor
    bits: torch.Tensor


def straight_through_bernoulli(probs: torch.Tensor, sample: bool) -> torch.Tensor:
    """{0,1} codes whose forward value is hard and whose gradient w.r.t. ``probs`` is 1.

    Args:
        probs: (N, M) Bernoulli parameters.
        sample: draw ``b ~ Bernoulli(probs)`` (training) or threshold at 0.5 (test).
    """
    with torch.no_grad():
        hard = torch.bernoulli(probs) if sample else (probs > 0.5).to(probs.dtype)
    return hard + (probs - probs.detach())  # exactly hard in value, gradient 1 to probs


class BinaryBottleneck(nn.Module):
    """Dense hidden -> M logits, then the Bernoulli neuron."""

    def __init__(self, hidden: int, bits: int) -> None:
        super().__init__()
        self.fc = nn.Linear(hidden, bits)

    def forward(self, h: torch.Tensor, sample: bool) -> BinaryOutput:
        """Codes of a batch; ``sample`` is True while training."""
        logits = self.fc(h)
        probs = torch.sigmoid(logits)
        return BinaryOutput(logits, probs, straight_through_bernoulli(probs, sample))

    @torch.no_grad()
    def codes(self, h: torch.Tensor) -> torch.Tensor:
        """Deterministic test-time codes, uint8 0/1: bit = logit > 0."""
        return (self.fc(h) > 0).to(torch.uint8)
