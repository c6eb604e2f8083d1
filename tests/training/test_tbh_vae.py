"""Tiny-configuration tests of the TBH-VAE and TBH training code (style guide point 10).

Why: a model that silently produces NaNs, leaves a parameter without gradient, or a loss
term that is not finite trains "fine" and just gives bad codes. These run on random inputs
in a tiny configuration (16 bits, hidden 32), so the whole file takes a few seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import need_module

torch = need_module("torch", "the training tests need torch (pip install -e '.[training]')")

from twinlens.training.config import tiny_config  # noqa: E402
from twinlens.training.data.splits import Split  # noqa: E402
from twinlens.training.model.geco import Geco  # noqa: E402
from twinlens.training.model.graph import code_adjacency  # noqa: E402
from twinlens.training.model.losses import (  # noqa: E402
    bernoulli_log_density,
    tc_decomposition,
    tc_decomposition_reference,
)
from twinlens.training.train import build_model, fit, make_geco, tbh_losses, train_step, vae_losses  # noqa: E402

METHODS = ("tbh_vae", "tbh")


def _batch(config, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(config.batch_size, config.in_dim, generator=gen)


def _optimisers(model):
    return (
        torch.optim.Adam(model.actor_parameters(), lr=1e-3),
        torch.optim.Adam(model.critic_parameters(), lr=1e-3),
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", METHODS)
def test_forward_shapes_and_no_nans(method):
    torch.manual_seed(0)
    config = tiny_config(method)
    model = build_model(config)
    x = _batch(config)
    out = model(x)
    n = config.batch_size
    assert out.binary.bits.shape == (n, config.bits)
    assert set(out.binary.bits.detach().unique().tolist()) <= {0.0, 1.0}
    assert out.adjacency.shape == (n, n)
    assert out.graph.shape == (n, config.cont_dim)
    assert out.recon.shape == (n, config.in_dim)
    for tensor in (out.binary.logits, out.adjacency, out.graph, out.recon):
        assert torch.isfinite(tensor).all()
    codes = model.codes(x)
    assert codes.dtype == torch.uint8
    assert codes.shape == (n, config.bits)
    # Test-time codes are deterministic: bit = logit > 0.
    assert torch.equal(codes, model.codes(x))
    assert torch.equal(codes, (out.binary.logits > 0).to(torch.uint8))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("method", METHODS)
def test_every_parameter_gets_a_gradient(method):
    torch.manual_seed(0)
    config = tiny_config(method).with_(warmup_steps=0, kappa=0.5)
    model = build_model(config)
    train_step(model, _batch(config), _optimisers(model), make_geco(config), 64)
    for name, param in model.named_parameters():
        assert param.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, f"{name} got an all-zero gradient"


@pytest.mark.timeout(30)
def test_vae_loss_terms_are_finite_and_adversarial_term_reaches_encoder():
    torch.manual_seed(0)
    config = tiny_config("tbh_vae").with_(kappa=0.5)
    model = build_model(config)
    actor, critic, terms = vae_losses(model, _batch(config), make_geco(config), config, 64)
    for key in ("mi", "tc", "dim_kl", "kl_cont", "mse", "adv", "critic"):
        assert math.isfinite(terms[key]), key
    assert math.isfinite(actor.item())
    assert math.isfinite(critic.item())
    # The critic's term is part of the encoder's loss: its gradient reaches the trunk.
    from twinlens.training.model.losses import actor_adversarial

    out = model(_batch(config))
    actor_adversarial(model.critic, out.graph).backward()
    assert model.trunk.fc.weight.grad is not None
    assert model.trunk.fc.weight.grad.abs().sum() > 0


@pytest.mark.timeout(30)
def test_tbh_loss_terms_are_finite():
    torch.manual_seed(0)
    config = tiny_config("tbh")
    model = build_model(config)
    actor, critic, terms = tbh_losses(model, _batch(config), config)
    for key in ("mse", "rec", "adv_bits", "adv", "critic"):
        assert math.isfinite(terms[key]), key
    assert math.isfinite(actor.item())
    assert math.isfinite(critic.item())


@pytest.mark.timeout(30)
def test_tc_decomposition_matches_reference_and_sums_to_the_kl():
    torch.manual_seed(1)
    logits = (torch.randn(12, 8) * 3).requires_grad_()
    bits = torch.bernoulli(torch.sigmoid(logits)).detach()
    st = bits + torch.sigmoid(logits) - torch.sigmoid(logits).detach()
    fast = tc_decomposition(st, logits, dataset_size=500)
    ref = tc_decomposition_reference(st, logits, dataset_size=500)
    for a, b in ((fast.mi, ref.mi), (fast.tc, ref.tc), (fast.dim_kl, ref.dim_kl)):
        assert torch.allclose(a, b, atol=1e-4)
    # Gradients through the posteriors agree exactly; through the straight-through bits the
    # fast form differentiates its linear-in-b expression (equal at every hard code).
    fast_d = tc_decomposition(bits, logits, dataset_size=500)
    ref_d = tc_decomposition_reference(bits, logits, dataset_size=500)
    g_fast = torch.autograd.grad(fast_d.mi + 2 * fast_d.tc + fast_d.dim_kl, logits)[0]
    g_ref = torch.autograd.grad(ref_d.mi + 2 * ref_d.tc + ref_d.dim_kl, logits)[0]
    assert torch.allclose(g_fast, g_ref, atol=1e-4)
    # MI + TC + dimKL telescopes to E[log q(b|x) - log p(b)], the full KL estimate.
    log_q_cond = bernoulli_log_density(bits, logits).diagonal(dim1=0, dim2=1).sum(0)
    kl = (log_q_cond - 8 * math.log(0.5)).mean()
    assert torch.allclose(fast.mi + fast.tc + fast.dim_kl, kl, atol=1e-4)
    # MI is bounded by log N with this estimator (a proper importance weighting).
    assert 0 <= fast.mi.item() <= math.log(500) + 1e-4


@pytest.mark.timeout(30)
def test_adjacency_from_codes():
    bits = torch.tensor([[0, 0, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]], dtype=torch.float32)
    adj = code_adjacency(bits, exponent=2.0)
    expected = torch.tensor([[1, 0.25, 0], [0.25, 1, 0.25], [0, 0.25, 1]])
    assert torch.allclose(adj, expected, atol=1e-4)


@pytest.mark.timeout(30)
def test_geco_lambda_stays_inside_its_clip():
    geco = Geco(kappa=0.1, eta=10.0, lam=1.0, warmup_steps=0)
    for _ in range(200):
        geco.constraint(torch.tensor(1e6))
        geco.update()
    assert geco.lam == pytest.approx(1e12)
    geco = Geco(kappa=1.0, eta=10.0, lam=1.0, warmup_steps=0, alpha=0.0)
    for _ in range(200):
        geco.constraint(torch.tensor(0.0))
        geco.update()
    assert geco.lam == pytest.approx(1e-6)


@pytest.mark.timeout(30)
def test_geco_measures_kappa_after_warmup():
    geco = Geco(kappa=None, warmup_steps=5, kappa_slack=1.0)
    for value in (2.0, 1.5, 1.0, 0.8, 0.5):
        term = geco.constraint(torch.tensor(value))
        assert float(term) == pytest.approx(value)  # warm-up: plain reconstruction
        geco.update()
    assert geco.kappa == pytest.approx(0.5)
    assert geco.lam == 1.0


def clustered_features(rows: int = 128, seed: int = 0) -> np.ndarray:
    """Eight tight clusters in 24 dimensions: structure a few steps of training can learn."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((8, 24)) * 2
    noise = 0.3 * rng.standard_normal((rows, 24))
    return (centres[rng.integers(0, 8, rows)] + noise).astype(np.float32)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", METHODS)
def test_fit_learns_and_lambda_is_logged_inside_clip(method):
    """``fit`` trains: the reconstruction error falls well below where it starts (a fit that
    never steps its optimiser stays within 1 % of it), and every logged term is finite."""
    x = clustered_features()
    config = tiny_config(method).with_(epochs=8, lr=1e-2, adj_exponent=10.0)
    trained = fit(config, Split(x, np.zeros(len(x))), log=False)
    codes = trained.encode(x)
    assert codes.shape == (len(x), 16)
    assert codes.dtype == np.uint8
    for row in trained.history:
        assert all(math.isfinite(v) for v in row.values())
        if method == "tbh_vae":
            assert 1e-6 <= row["lambda"] <= 1e12
            assert "log_lambda" in row
    mse = [row["mse"] for row in trained.history]
    assert mse[-1] < 0.9 * mse[0], mse
