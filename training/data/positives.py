# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Positive partners for the optional contrastive term: feature-space neighbours or views.

Why: a contrastive term (CIBHash, arXiv 2105.06138) pulls the codes of two "views" of one
image together and pushes the rest of the batch away. Views can be backbone features of
augmented copies of the image (``ViewPositives``), or, without any extra backbone pass, the
image's nearest neighbours in the frozen backbone's feature space (``NeighbourPositives``):
on a strong ImageNet backbone a photo's closest features are mostly the same kind of thing,
so the codes learn the neighbourhood structure instead of only a linear projection.
Both draw partners with the training loop's generator, so runs stay reproducible.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch


class Positives(Protocol):
    """Gives a positive partner (standardised features) for each row of a batch."""

    def draw(
        self, rows: torch.Tensor, data: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """(B,) training-set row indices -> (B, D) partner features on ``data``'s device."""
        ...


class NeighbourPositives:
    """A uniformly drawn one of each row's ``k`` nearest training neighbours."""

    def __init__(self, neighbours: np.ndarray) -> None:
        self.neighbours = torch.from_numpy(np.ascontiguousarray(neighbours, dtype=np.int64))

    def draw(
        self, rows: torch.Tensor, data: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        k = self.neighbours.shape[1]
        pick = torch.randint(k, (len(rows),), generator=generator)
        partner = self.neighbours[rows.cpu(), pick]
        return data[partner.to(data.device)]


class ViewPositives:
    """A uniformly drawn cached augmented view of the same image."""

    def __init__(self, views: torch.Tensor) -> None:
        self.views = views
        """(V, N, D) standardised features of V augmented views of every training image."""

    def draw(
        self, rows: torch.Tensor, data: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        pick = torch.randint(self.views.shape[0], (len(rows),), generator=generator)
        return self.views[pick.to(self.views.device), rows.to(self.views.device)].to(data.device)


def feature_neighbours(features: np.ndarray, k: int, chunk: int = 2048) -> np.ndarray:
    """(N, k) indices of each row's ``k`` most cosine-similar other rows, nearest first.

    Exact (chunked matrix products, about a minute for 50,000 x 1280 on 2 cores).
    """
    x = torch.from_numpy(np.asarray(features, dtype=np.float32))
    x = torch.nn.functional.normalize(x, dim=1)
    out = np.empty((len(x), k), dtype=np.int64)
    for lo in range(0, len(x), chunk):
        sims = x[lo : lo + chunk] @ x.T
        rows = torch.arange(lo, min(lo + chunk, len(x)))
        sims[rows - lo, rows] = -float("inf")  # never one's own partner
        out[lo : lo + chunk] = sims.topk(k, dim=1).indices.numpy()
    return out
