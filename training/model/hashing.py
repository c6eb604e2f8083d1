# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""The graph the app runs, split the timm way: ``forward_features`` then ``forward_head``.

``forward_features`` is the frozen backbone (image -> pooled 1280-d embedding, what the
feature cache holds); ``forward_head`` standardises those features and runs each trained
hashing head's test-time path (``head_logits``), exactly the functions training evaluates.
``forward`` is what is exported: one uint8 bit array per code (bit = logit > 0), then the
embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import torch
from torch import nn


class Head(Protocol):
    """A trained model's test-time path (TBHVAE.head_logits, TBH.head_logits)."""

    def head_logits(self, x: torch.Tensor) -> torch.Tensor: ...


class HashHead(nn.Module):
    """One trained head with the per-dimension standardisation its inputs were fitted on."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, model: Head, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.from_numpy(np.asarray(mean, np.float32).copy()))
        self.register_buffer("std", torch.from_numpy(np.asarray(std, np.float32).copy()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.head_logits((features - self.mean) / self.std)


class HashingNetwork(nn.Module):
    """Backbone + hashing heads: image -> (bits of each head..., embedding)."""

    def __init__(self, backbone: nn.Module, heads: Mapping[str, HashHead]) -> None:
        super().__init__()
        self.backbone = backbone
        self.heads = nn.ModuleDict(dict(heads))

    def forward_features(self, image: torch.Tensor) -> torch.Tensor:
        """(N,3,224,224) -> (N,1280) pooled backbone features."""
        features: torch.Tensor = self.backbone.forward_features(image)  # type: ignore[operator]
        return features

    def forward_head(self, features: torch.Tensor) -> list[torch.Tensor]:
        """Pooled features -> each head's logits, in the heads' order."""
        return [head(features) for head in self.heads.values()]

    def logits(self, image: torch.Tensor) -> list[torch.Tensor]:
        return self.forward_head(self.forward_features(image))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        features = self.forward_features(image)
        bits = [(logits > 0).to(torch.uint8) for logits in self.forward_head(features)]
        return (*bits, features)
