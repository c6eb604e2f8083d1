# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""TBH as published (Shen et al., CVPR 2020): the baseline TBH-VAE must beat.

Stochastic binary neuron (b = 1[sigmoid(l) > eps], eps ~ U(0,1), i.e. a Bernoulli sample,
with the distributional derivative), a deterministic sigmoid continuous bottleneck, the code
graph with one graph convolution, a decoder, and *both* critics: one on the codes against
Bernoulli(0.5) samples and one on the graph output against U[0,1] samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from twinlens.training.config import TrainConfig

from .binary import BinaryBottleneck, BinaryOutput
from .continuous import SigmoidBottleneck
from .decoder import Decoder
from .discriminator import Critic
from .encoder import Trunk
from .graph import GraphConv, code_adjacency


@dataclass
class TBHOutput:
    """Everything TBH's losses need from one training forward pass."""

    binary: BinaryOutput
    z: torch.Tensor
    adjacency: torch.Tensor
    graph: torch.Tensor
    recon: torch.Tensor


class TBH(nn.Module):
    """Encoder trunk, binary and sigmoid bottlenecks, code graph, decoder, two critics."""

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.config = config
        self.trunk = Trunk(config.in_dim, config.hidden)
        self.binary = BinaryBottleneck(config.hidden, config.bits)
        self.continuous = SigmoidBottleneck(config.hidden, config.cont_dim)
        self.gcn = GraphConv(config.cont_dim)
        self.decoder = Decoder(config.cont_dim, config.hidden, config.in_dim)
        self.critic_bits = Critic(config.bits, config.critic_hidden)
        self.critic_graph = Critic(config.cont_dim, config.critic_hidden)

    def forward(self, x: torch.Tensor, sample: bool = True) -> TBHOutput:
        """Training pass over one batch (the graph is the batch)."""
        h = self.trunk(x)
        binary = self.binary(h, sample)
        z = self.continuous(h)
        adjacency = code_adjacency(binary.bits, self.config.adj_exponent)
        graph = self.gcn(z, adjacency)
        return TBHOutput(binary, z, adjacency, graph, self.decoder(graph))

    def head_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The test-time path, standardised features -> code logits (bit = logit > 0).

        The exported graph runs exactly this after the backbone (model/hashing.py), so
        training and the app share one head.
        """
        return self.binary.fc(self.trunk(x))

    @torch.no_grad()
    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic test-time codes (N, bits) uint8: encoder trunk + binary head only."""
        return (self.head_logits(x) > 0).to(torch.uint8)

    def actor_parameters(self) -> Iterator[nn.Parameter]:
        """Everything but the two critics."""
        for name, param in self.named_parameters():
            if not name.startswith("critic"):
                yield param

    def critic_parameters(self) -> Iterator[nn.Parameter]:
        yield from self.critic_bits.parameters()
        yield from self.critic_graph.parameters()
