"""Training configuration for the hashing models (TBH-VAE and TBH), in one typed place.

Why: every number that shapes a run (code length, layer sizes, loss weights, GECO settings,
optimiser, seed) lives here, is saved as JSON beside the run's outputs, and the tests build a
tiny variant of the same dataclass, so what CI checks is what the real runs use.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

Method = Literal["tbh_vae", "tbh"]


@dataclass(frozen=True)
class TrainConfig:
    """One training run of a twin-bottleneck hashing model on cached features."""

    method: Method = "tbh_vae"
    bits: int = 64
    in_dim: int = 1280
    """Backbone feature size (EfficientNet-Lite0 pooled embedding)."""
    hidden: int = 1024
    """Shared encoder trunk width (TBH: 1024)."""
    cont_dim: int = 512
    """Continuous bottleneck size L (TBH and TBH-VAE: 512)."""
    adj_exponent: float = 1.4
    """A_ij = (1 - d_ij / M) ** exponent, the code-driven graph (TBH code)."""
    # Binary VAE: beta-TCVAE decomposition weights (alpha * MI + beta * TC + gamma * dimKL).
    mi_weight: float = 1.0
    tc_weight: float = 1.0
    dim_kl_weight: float = 1.0
    bin_weight: float = 1.0
    """Overall weight of the binary KL decomposition relative to the continuous KL."""
    adv_weight: float = 1.0
    """Weight of the adversarial terms in the encoder's (actor's) loss."""
    critic_hidden: int = 0
    """0: a linear logistic critic as in TBH; > 0: one hidden layer of this width."""
    contrastive_weight: float = 0.0
    """Weight of the optional code contrastive term (``losses.code_contrastive``); 0 = off."""
    contrastive_temperature: float = 0.3
    """NT-Xent temperature (CIBHash: 0.3)."""
    positives: Literal["none", "neighbours", "views"] = "none"
    """Where the contrastive term's partner comes from (``positives.py``)."""
    neighbours_k: int = 10
    """With ``positives="neighbours"``: draw the partner among this many nearest neighbours."""
    view_count: int = 2
    """With ``positives="views"``: how many cached augmented views of each image to draw from."""
    # GECO on the continuous VAE (Rezende & Viola 2018).
    kappa: float | None = None
    """Reconstruction tolerance (per-dimension MSE on standardised features); None: measured."""
    kappa_slack: float = 1.0
    """kappa = slack * measured warm-up MSE when ``kappa`` is None."""
    warmup_steps: int = 100
    """Steps at the initial lambda whose final reconstruction error sets kappa."""
    geco_alpha: float = 0.99
    geco_eta: float = 0.01
    """GECO step size: lambda <- lambda * exp(eta * C_ma / kappa) per step."""
    lambda_init: float = 1.0
    lambda_min: float = 1e-6
    lambda_max: float = 1e12
    recon_weight: float = 1.0
    """TBH only: weight of 0.5 * ||x_hat - x||^2 (per sample, batch mean)."""
    # Optimisation.
    batch_size: int = 400
    epochs: int = 30
    lr: float = 1e-4
    critic_lr: float = 1e-4
    weight_decay: float = 0.0
    seed: int = 0
    dataset_size: int | None = None
    """N for the minibatch-weighted sampling estimator; None: the training set size."""

    @property
    def partners(self) -> Literal["none", "neighbours", "views"]:
        """Where contrastive partners come from; "none" when the term is off."""
        return self.positives if self.contrastive_weight > 0 else "none"

    def with_(self, **changes: object) -> TrainConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def save(self, path: Path) -> None:
        """Write the config as JSON beside a run's outputs."""
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        """Read a config written by :meth:`save`."""
        return cls(**json.loads(path.read_text()))


def tiny_config(method: Method = "tbh_vae") -> TrainConfig:
    """A configuration small enough for unit tests (milliseconds per step)."""
    return TrainConfig(
        method=method,
        bits=16,
        in_dim=24,
        hidden=32,
        cont_dim=8,
        batch_size=16,
        epochs=1,
        warmup_steps=2,
        lr=1e-3,
        critic_lr=1e-3,
        dataset_size=64,
    )


# -- the named configurations (chosen on the train-set validation split, docs/training.md) --

TBH_VAE = TrainConfig(
    method="tbh_vae",
    adj_exponent=10.0,
    lr=1e-3,
    critic_lr=1e-3,
    warmup_steps=60,
    geco_eta=0.1,
    kappa_slack=0.9,
    epochs=6,
)
# The contrastive variants: the weight that lets the term shape the codes, and 15 epochs
# (plain TBH-VAE collapses with more than ~6 epochs: its binary KL drives the bits to
# p = 0.5; the contrastive term holds them apart).
TBH_VAE_NEIGHBOURS = TBH_VAE.with_(
    contrastive_weight=1000.0, positives="neighbours", neighbours_k=10, epochs=15
)
TBH_VAE_VIEWS = TBH_VAE.with_(contrastive_weight=1000.0, positives="views", view_count=2, epochs=15)
TBH_PUBLISHED = TrainConfig(method="tbh", adj_exponent=10.0, lr=1e-3, critic_lr=1e-3, epochs=6)
SHIPPED = TBH_VAE_NEIGHBOURS
"""The similarity code that ships (the winner of the CIFAR-10 evaluation)."""
DUPLICATE = TBH_VAE.with_(contrastive_weight=1000.0, positives="views", view_count=2, epochs=15)
"""The duplicate code: the same TBH-VAE, its contrastive partners edited copies of the image
(``data.views``), so a photo and its edits share a code and other photos do not."""
