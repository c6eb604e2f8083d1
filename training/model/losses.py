# ruff: noqa: TID253  (a torch module by nature: only training code imports it)
"""Loss terms: the beta-TCVAE decomposition of the binary KL, reconstruction, adversarial.

The binary decomposition (Chen et al. 2018) splits E_x KL(q(b|x) || p(b)) into
index-code mutual information I(x; b), total correlation TC(b) and the dimension-wise KL
sum_d KL(q(b_d) || p(b_d)). The aggregate posterior q(b) = (1/N) sum_n q(b|x_n) is estimated
per batch of B samples out of a dataset of N with minibatch-weighted importance weights:
a sample's own posterior gets weight 1/N and each other posterior in the batch
(N - 1) / (N (B - 1)), so the weights of each row sum to one and log q(b) is a proper
estimate (bounded by log N in the MI), not the per-sample-only, batch-size-N, dimension-
averaged and sign-flipped estimator of the public TBH-VAE code (method notes 2.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .discriminator import Critic

LOG_HALF = math.log(0.5)


@dataclass
class TCTerms:
    """Batch estimates of the three parts of the binary KL (nats per sample)."""

    mi: torch.Tensor
    tc: torch.Tensor
    dim_kl: torch.Tensor


def bernoulli_log_density(bits: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Per-bit log q(b_i | x_j) for every pair: (B, M) codes x (B, M) logits -> (B, B, M)."""
    b = bits[:, None, :]
    return b * F.logsigmoid(logits)[None, :, :] + (1.0 - b) * F.logsigmoid(-logits)[None, :, :]


def log_importance_weights(batch: int, dataset_size: int, device: torch.device) -> torch.Tensor:
    """(B, B) log weights: 1/N on the diagonal, (N - 1) / (N (B - 1)) elsewhere."""
    n = float(max(dataset_size, batch))
    if batch == 1:
        return torch.zeros(1, 1, device=device)
    off = math.log((n - 1.0) / (n * (batch - 1)))
    weights = torch.full((batch, batch), off, device=device)
    weights.fill_diagonal_(-math.log(n))
    return weights


def tc_decomposition(bits: torch.Tensor, logits: torch.Tensor, dataset_size: int) -> TCTerms:
    """Index-code MI, total correlation and dimension-wise KL against Bernoulli(0.5).

    Exact rewrite of :func:`tc_decomposition_reference` in O(B^2 M) time and O(B^2 + B M)
    memory: the joint log-densities of all pairs are two matrix products, and because the
    weights take only two values and a bit is 0 or 1, the per-bit marginal is
    ``q(b_id) = c * sum_{j != i} q(b_id | x_j) + q(b_id | x_i) / N`` with column sums of p.

    Args:
        bits: (B, M) sampled codes in {0,1} (straight-through, so gradients reach the logits).
        logits: (B, M) posterior logits, q(b_d = 1 | x) = sigmoid(logit).
        dataset_size: N, the number of training samples the batch is drawn from.
    """
    batch, m = bits.shape
    n = float(max(dataset_size, batch))
    log_p1, log_p0 = F.logsigmoid(logits), F.logsigmoid(-logits)
    pairs = bits @ log_p1.T + (1.0 - bits) @ log_p0.T  # log q(b_i | x_j), (B, B)
    log_q_cond = pairs.diagonal()
    log_w = log_importance_weights(batch, dataset_size, bits.device)
    log_q_joint = torch.logsumexp(pairs + log_w, dim=1)
    # Per-bit marginals in float64: sums of probabilities, no (B, B, M) tensor.
    p1 = log_p1.double().exp()
    own1 = p1
    c = (n - 1.0) / (n * (batch - 1)) if batch > 1 else 0.0
    q1 = c * (p1.sum(dim=0, keepdim=True) - own1) + own1 / n
    q0 = c * ((1.0 - p1).sum(dim=0, keepdim=True) - (1.0 - own1)) + (1.0 - own1) / n
    b = bits.double()
    q_dims = b * q1 + (1.0 - b) * q0
    log_q_marginals = torch.log(q_dims.clamp_min(1e-300)).sum(dim=1).to(logits.dtype)
    log_prior = m * LOG_HALF
    return TCTerms(
        mi=(log_q_cond - log_q_joint).mean(),
        tc=(log_q_joint - log_q_marginals).mean(),
        dim_kl=(log_q_marginals - log_prior).mean(),
    )


def tc_decomposition_reference(
    bits: torch.Tensor, logits: torch.Tensor, dataset_size: int
) -> TCTerms:
    """The same estimator written directly over the (B, B, M) density tensor (for tests)."""
    batch, m = bits.shape
    log_q_pairs = bernoulli_log_density(bits, logits)  # (B, B, M)
    log_w = log_importance_weights(batch, dataset_size, bits.device)
    log_q_cond = log_q_pairs.diagonal(dim1=0, dim2=1).sum(dim=0)  # log q(b_i | x_i), (B,)
    log_q_joint = torch.logsumexp(log_w + log_q_pairs.sum(dim=2), dim=1)  # log q(b_i)
    log_q_dims = torch.logsumexp(log_w[:, :, None] + log_q_pairs, dim=1)  # (B, M)
    log_q_marginals = log_q_dims.sum(dim=1)
    log_prior = m * LOG_HALF
    return TCTerms(
        mi=(log_q_cond - log_q_joint).mean(),
        tc=(log_q_joint - log_q_marginals).mean(),
        dim_kl=(log_q_marginals - log_prior).mean(),
    )


def reconstruction_mse(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error per feature dimension (batch and dims averaged)."""
    return (recon - target).pow(2).mean()


def critic_loss(critic: Critic, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Standard GAN critic BCE: real samples -> 1, the model's outputs (detached) -> 0."""
    real_logits = critic(real)
    fake_logits = critic(fake.detach())
    return F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def actor_adversarial(critic: Critic, fake: torch.Tensor) -> torch.Tensor:
    """The encoder's adversarial term (non-saturating): -log D(fake), gradient into the model.

    Only the actor optimiser steps on this, so the critic is not updated by it.
    """
    logits = critic(fake)
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def code_contrastive(
    bits_a: torch.Tensor, bits_b: torch.Tensor, temperature: float
) -> torch.Tensor:
    """NT-Xent (SimCLR / CIBHash) between the codes of two views of the same B images.

    Codes map to +-1 / sqrt(M) so the similarity is the cosine of the codes
    (1 - 2 d_H / M); each of the 2B codes must pick its partner out of the other 2B - 1.
    Straight-through codes pass the gradient to the bit probabilities.
    """
    batch, bits = bits_a.shape
    signs = torch.cat([2.0 * bits_a - 1.0, 2.0 * bits_b - 1.0]) / math.sqrt(bits)
    sims = signs @ signs.T / temperature
    self_mask = torch.eye(2 * batch, dtype=torch.bool, device=sims.device)
    sims = sims.masked_fill(self_mask, float("-inf"))
    rows = torch.arange(batch, device=sims.device)
    partner = torch.cat([rows + batch, rows])
    return F.cross_entropy(sims, partner)
