# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Training loop for TBH-VAE and TBH on cached, standardised features.

``fit`` builds the model, optimisers and GECO state and runs ``train_one_epoch``;
``evaluate`` scores codes with mAP@1000. Each step updates the encoder side (actor) on its
full loss, then the critic(s) on fresh real samples against the detached model outputs.
A GPU is used when present. Run one model from the command line with
``python -m twinlens.training.train --method tbh_vae --bits 64 --out runs/x``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .config import TrainConfig
from .data.positives import NeighbourPositives, Positives, ViewPositives, feature_neighbours
from .data.splits import Scaler, Split
from .evaluate import MapResult, mean_average_precision
from .model.continuous import gaussian_kl
from .model.discriminator import bernoulli_prior, uniform_prior
from .model.geco import Geco
from .model.losses import (
    actor_adversarial,
    code_contrastive,
    critic_loss,
    reconstruction_mse,
    tc_decomposition,
)
from .model.tbh import TBH
from .model.tbh_vae import TBHVAE

HashModel = TBHVAE | TBH


@dataclass
class Trained:
    """A fitted model with the scaler its inputs need and the per-epoch log."""

    model: HashModel
    scaler: Scaler
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    geco: Geco | None = None

    def encode(self, features: np.ndarray) -> np.ndarray:
        """Raw (N, 1280) features -> (N, bits) uint8 codes (deterministic)."""
        return encode(self.model, self.scaler.transform(features))


def build_model(config: TrainConfig) -> HashModel:
    """The model named by ``config.method``."""
    return TBHVAE(config) if config.method == "tbh_vae" else TBH(config)


def make_geco(config: TrainConfig) -> Geco:
    return Geco(
        kappa=config.kappa,
        alpha=config.geco_alpha,
        eta=config.geco_eta,
        lam=config.lambda_init,
        lambda_min=config.lambda_min,
        lambda_max=config.lambda_max,
        warmup_steps=config.warmup_steps,
        kappa_slack=config.kappa_slack,
    )


def vae_losses(
    model: TBHVAE,
    x: torch.Tensor,
    geco: Geco,
    config: TrainConfig,
    n: int,
    partner: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Actor loss, critic loss and the logged terms of one TBH-VAE step.

    Args:
        partner: (B, D) positive partners of ``x`` (another view or a neighbour) when the
            contrastive term is on; their codes come from the same trunk and binary head.
    """
    out = model(x)
    tc = tc_decomposition(out.binary.bits, out.binary.logits, n)
    binary = config.mi_weight * tc.mi + config.tc_weight * tc.tc + config.dim_kl_weight * tc.dim_kl
    kl_cont = gaussian_kl(out.cont.mu, out.cont.std)
    mse = reconstruction_mse(out.recon, x)
    adv = actor_adversarial(model.critic, out.graph)
    # The constraint is on the per-dimension MSE (standardised scale, where kappa lives) and is
    # scaled by the feature size so lambda = 1 weighs it like a unit-variance Gaussian likelihood.
    constraint = config.in_dim * geco.constraint(mse)
    # Warm-up (kappa not measured yet): a plain reconstruction fit, so the error that sets
    # kappa is what the architecture can reach, not the error of a collapsed posterior.
    kl_scale = 0.0 if geco.kappa is None else 1.0
    actor = kl_scale * (config.bin_weight * binary + kl_cont) + geco.lam * constraint
    actor = actor + config.adv_weight * adv
    critic = critic_loss(model.critic, uniform_prior(out.graph), out.graph)
    terms: dict[str, torch.Tensor] = {}
    if partner is not None and config.contrastive_weight > 0:
        partner_bits = model.binary(model.trunk(partner), sample=True).bits
        contrast = code_contrastive(out.binary.bits, partner_bits, config.contrastive_temperature)
        actor = actor + config.contrastive_weight * contrast
        terms["contrast"] = contrast
    terms |= {
        "mi": tc.mi,
        "tc": tc.tc,
        "dim_kl": tc.dim_kl,
        "kl_cont": kl_cont,
        "mse": mse,
        "adv": adv,
        "critic": critic,
    }
    return actor, critic, {k: float(v.detach()) for k, v in terms.items()}


def tbh_losses(
    model: TBH, x: torch.Tensor, config: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor, dict[str, float]]:
    """Actor loss, critic loss and the logged terms of one TBH step (both critics)."""
    out = model(x)
    mse = reconstruction_mse(out.recon, x)
    rec = 0.5 * (out.recon - x).pow(2).sum(dim=1).mean()
    adv_bits = actor_adversarial(model.critic_bits, out.binary.bits)
    adv_graph = actor_adversarial(model.critic_graph, out.graph)
    actor = config.recon_weight * rec + config.adv_weight * (adv_bits + adv_graph)
    critic = critic_loss(
        model.critic_bits, bernoulli_prior(out.binary.bits), out.binary.bits
    ) + critic_loss(model.critic_graph, uniform_prior(out.graph), out.graph)
    terms = {"mse": mse, "rec": rec, "adv_bits": adv_bits, "adv": adv_graph, "critic": critic}
    return actor, critic, {k: float(v.detach()) for k, v in terms.items()}


def train_step(
    model: HashModel,
    x: torch.Tensor,
    optimisers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    geco: Geco,
    n: int,
    partner: torch.Tensor | None = None,
) -> dict[str, float]:
    """One actor step then one critic step on the same batch; returns the logged terms."""
    actor_opt, critic_opt = optimisers
    config = model.config
    if isinstance(model, TBHVAE):
        actor, critic, terms = vae_losses(model, x, geco, config, n, partner)
    else:
        actor, critic, terms = tbh_losses(model, x, config)
    actor_opt.zero_grad(set_to_none=True)
    critic_opt.zero_grad(set_to_none=True)
    actor.backward(inputs=list(model.actor_parameters()))
    actor_opt.step()
    critic.backward(inputs=list(model.critic_parameters()))
    critic_opt.step()
    if isinstance(model, TBHVAE):
        geco.update()
        terms.update(geco.state())  # type: ignore[arg-type]
    terms["actor"] = float(actor.detach())
    return terms


def train_one_epoch(
    model: HashModel,
    data: torch.Tensor,
    optimisers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    geco: Geco,
    generator: torch.Generator,
    positives: Positives | None = None,
) -> dict[str, float]:
    """One shuffled pass (full batches only: the graph is the batch); mean of each term."""
    model.train()
    n, batch = len(data), model.config.batch_size
    order = torch.randperm(n, generator=generator, device="cpu")
    sums: dict[str, float] = {}
    steps = 0
    for lo in range(0, n - batch + 1, batch):
        rows = order[lo : lo + batch]
        partner = None if positives is None else positives.draw(rows, data, generator)
        terms = train_step(
            model,
            data[rows.to(data.device)],
            optimisers,
            geco,
            model.config.dataset_size or n,
            partner,
        )
        for key, value in terms.items():
            if value is not None:
                sums[key] = sums.get(key, 0.0) + value
        steps += 1
    out = {k: v / max(steps, 1) for k, v in sums.items()}
    if isinstance(model, TBHVAE):
        out.update({k: v for k, v in geco.state().items() if v is not None})
    return out


@torch.no_grad()
def encode(model: HashModel, standardised: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Deterministic codes of standardised features, (N, bits) uint8."""
    model.eval()
    device = next(model.parameters()).device
    out = [
        model.codes(torch.from_numpy(standardised[lo : lo + batch]).to(device)).cpu().numpy()
        for lo in range(0, len(standardised), batch)
    ]
    return np.concatenate(out)


def evaluate(trained: Trained, database: Split, queries: Split, k: int = 1000) -> MapResult:
    """mAP@k of the model's codes (queries against the database)."""
    return mean_average_precision(
        trained.encode(queries.features),
        trained.encode(database.features),
        queries.labels,
        database.labels,
        k,
    )


def make_positives(
    config: TrainConfig,
    train: Split,
    scaler: Scaler,
    device: torch.device,
    views: np.ndarray | None = None,
    neighbours: np.ndarray | None = None,
) -> Positives | None:
    """The contrastive partners the config asks for (None when the term is off).

    ``neighbours`` may be precomputed (``feature_neighbours`` of ``train.features`` with at
    least ``config.neighbours_k`` columns) so several runs share one search.
    """
    if config.partners == "none":
        return None
    if config.partners == "neighbours":
        k = config.neighbours_k
        if neighbours is None or neighbours.shape[1] < k:
            neighbours = feature_neighbours(train.features, k)
        return NeighbourPositives(neighbours[:, :k])
    if views is None:
        raise ValueError('positives="views" needs the cached features of augmented views')
    standardised = np.stack([scaler.transform(v) for v in views[: config.view_count]])
    return ViewPositives(torch.from_numpy(standardised).to(device))


def fit(
    config: TrainConfig,
    train: Split,
    validation: tuple[Split, Split] | None = None,
    log: bool = True,
    views: np.ndarray | None = None,
    neighbours: np.ndarray | None = None,
) -> Trained:
    """Train a model on ``train.features`` (labels unused); optionally score each epoch.

    Args:
        validation: (database, queries) to report mAP@1000 after every epoch (monitoring only;
            the last epoch's model is returned).
        views: (V, N, D) raw features of augmented views of the training images, needed
            when ``config.positives == "views"``.
        neighbours: precomputed ``feature_neighbours(train.features, k)`` (optional).
    """
    torch.manual_seed(config.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    scaler = Scaler.fit(train.features)
    data = torch.from_numpy(scaler.transform(train.features)).to(device)
    model = build_model(config).to(device)
    optimisers = (
        torch.optim.Adam(model.actor_parameters(), lr=config.lr, weight_decay=config.weight_decay),
        torch.optim.Adam(model.critic_parameters(), lr=config.critic_lr),
    )
    geco = make_geco(config)
    positives = make_positives(config, train, scaler, device, views, neighbours)
    generator = torch.Generator().manual_seed(config.seed)
    trained = Trained(model, scaler, config, [], geco if config.method == "tbh_vae" else None)
    for epoch in range(config.epochs):
        started = time.perf_counter()
        terms = train_one_epoch(model, data, optimisers, geco, generator, positives)
        terms.update(epoch=epoch + 1, seconds=time.perf_counter() - started)
        if validation is not None:
            terms["val_map"] = evaluate(trained, *validation).stable
        trained.history.append(terms)
        if log:
            print(_format(config, terms), flush=True)
        if not all(math.isfinite(v) for v in terms.values()):
            raise FloatingPointError(f"non-finite training term: {terms}")
    return trained


def _format(config: TrainConfig, terms: dict[str, float]) -> str:
    keys = (
        "mse",
        "contrast",
        "mi",
        "tc",
        "dim_kl",
        "kl_cont",
        "adv",
        "adv_bits",
        "critic",
        "log_lambda",
        "val_map",
    )
    shown = " ".join(f"{k} {terms[k]:.4g}" for k in keys if k in terms)
    head = f"{config.method}@{config.bits} epoch {int(terms['epoch'])}"
    return f"{head} ({terms['seconds']:.1f}s) {shown}"


def save(trained: Trained, out: Path) -> None:
    """State dict, scaler, config and history of a run in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    torch.save(trained.model.state_dict(), out / "model.pt")
    np.savez(out / "scaler.npz", mean=trained.scaler.mean, std=trained.scaler.std)
    trained.config.save(out / "config.json")
    (out / "history.json").write_text(json.dumps(trained.history, indent=1))


def load(out: Path) -> Trained:
    """Inverse of :func:`save` (on the CPU)."""
    config = TrainConfig.load(out / "config.json")
    model = build_model(config)
    model.load_state_dict(torch.load(out / "model.pt", map_location="cpu", weights_only=True))
    with np.load(out / "scaler.npz") as s:
        scaler = Scaler(s["mean"], s["std"])
    history = json.loads((out / "history.json").read_text())
    return Trained(model.eval(), scaler, config, history)


def main() -> None:
    """Train one model on CIFAR-10 train features; ``--validate`` scores a train-held-out split."""
    from .data.splits import cifar_protocol, validation_protocol

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--method", default="tbh_vae", choices=["tbh_vae", "tbh"])
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--set", nargs="*", default=[], help="config overrides KEY=VALUE")
    parser.add_argument("--validate", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    config = TrainConfig(method=args.method, bits=args.bits, epochs=args.epochs, **overrides)
    train, _ = cifar_protocol()
    validation = None
    if args.validate:
        train, queries = validation_protocol(train)
        validation = (train, queries)
    trained = fit(config, train, validation)
    if args.out:
        save(trained, args.out)


if __name__ == "__main__":
    main()
