# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""TBH-VAE: twin bottlenecks where both bottlenecks are variational.

Binary bottleneck: q(b|x) = Bernoulli(p(x)) against a Bernoulli(0.5) prior (its KL split by
the beta-TCVAE decomposition in ``losses.py``). Continuous bottleneck: a Gaussian VAE with the
analytic KL, trained under a GECO reconstruction constraint (``geco.py``). The code-driven
graph, one graph convolution, the decoder and the critic on the graph output follow TBH; the
critic's adversarial term enters the encoder's loss (``losses.actor_adversarial``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from twinlens.training.config import TrainConfig

from .binary import BinaryBottleneck, BinaryOutput
from .continuous import GaussianBottleneck, GaussianOutput
from .decoder import Decoder
from .discriminator import Critic
from .encoder import Trunk
from .graph import GraphConv, code_adjacency


@dataclass
class TBHVAEOutput:
    """Everything the losses need from one training forward pass."""

    binary: BinaryOutput
    cont: GaussianOutput
    adjacency: torch.Tensor
    graph: torch.Tensor
    """GCN output z' in (0, 1), the critic's fake samples."""
    recon: torch.Tensor


class TBHVAE(nn.Module):
    """Encoder trunk, binary and Gaussian bottlenecks, code graph, decoder, one critic."""

    def __init__(self, config: TrainConfig) -> None:
        super().__init__()
        self.config = config
        self.trunk = Trunk(config.in_dim, config.hidden)
        self.binary = BinaryBottleneck(config.hidden, config.bits)
        self.continuous = GaussianBottleneck(config.hidden, config.cont_dim)
        self.gcn = GraphConv(config.cont_dim)
        self.decoder = Decoder(config.cont_dim, config.hidden, config.in_dim)
        self.critic = Critic(config.cont_dim, config.critic_hidden)

    def forward(self, x: torch.Tensor, sample: bool = True) -> TBHVAEOutput:
        """Training pass over one batch (the graph is the batch)."""
        h = self.trunk(x)
        binary = self.binary(h, sample)
        cont = self.continuous(h, sample)
        adjacency = code_adjacency(binary.bits, self.config.adj_exponent)
        graph = self.gcn(cont.z, adjacency)
        return TBHVAEOutput(binary, cont, adjacency, graph, self.decoder(graph))

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
        """Everything but the critic (trained by the actor optimiser)."""
        for name, param in self.named_parameters():
            if not name.startswith("critic"):
                yield param

    def critic_parameters(self) -> Iterator[nn.Parameter]:
        return self.critic.parameters()
