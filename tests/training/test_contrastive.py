"""Tiny tests of the optional contrastive term and its positive partners.

Why: the contrastive ablation competes with plain TBH-VAE on the same evaluation, so its
loss must be the real NT-Xent (lowest when views agree), its partners must be real
neighbours or views of the same row, and it must train without NaNs in the tiny config.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import need_module

torch = need_module("torch", "the training tests need torch (pip install -e '.[training]')")

from twinlens.training.config import tiny_config  # noqa: E402
from twinlens.training.data.positives import (  # noqa: E402
    NeighbourPositives,
    ViewPositives,
    feature_neighbours,
)
from twinlens.training.data.splits import Split  # noqa: E402
from twinlens.training.model.losses import code_contrastive  # noqa: E402
from twinlens.training.train import build_model, fit, make_geco, vae_losses  # noqa: E402


@pytest.mark.timeout(30)
def test_contrastive_loss_prefers_matching_codes_and_matches_hand_value():
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(0, 2, (8, 32), generator=gen).float()
    agree = code_contrastive(a, a.clone(), 0.3)
    shuffled = code_contrastive(a, a[torch.randperm(8, generator=gen)], 0.3)
    assert agree < shuffled
    # Two orthogonal-free codes by hand: B = 1, views identical -> the only other candidate
    # is the partner itself, so the loss is 0.
    one = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    assert code_contrastive(one, one, 0.3).item() == pytest.approx(0.0, abs=1e-6)
    # B = 2 by hand: row 0's candidates are {a1, b0, b1}; cos(a0,b0)=1, cos(a0,a1)=cos(a0,b1)=c.
    x = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    c = (1 - 2 * 2 / 4) / 0.3  # Hamming distance 2 of 4 bits
    expected = -math.log(math.exp(1 / 0.3) / (math.exp(1 / 0.3) + 2 * math.exp(c)))
    assert code_contrastive(x, x.clone(), 0.3).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.timeout(30)
def test_feature_neighbours_are_exact_cosine_neighbours_without_self():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6)).astype(np.float32)
    got = feature_neighbours(x, 3, chunk=7)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    want = np.argsort(-sims, axis=1, kind="stable")[:, :3]
    assert (got != np.arange(50)[:, None]).all()
    np.testing.assert_array_equal(got, want)


@pytest.mark.timeout(30)
def test_positives_draw_a_neighbour_or_a_view_of_the_same_row():
    data = torch.arange(20, dtype=torch.float32)[:, None].repeat(1, 3)
    neighbours = np.stack([(np.arange(20) + 1) % 20, (np.arange(20) + 2) % 20], axis=1)
    gen = torch.Generator().manual_seed(0)
    rows = torch.tensor([0, 5, 19])
    drawn = NeighbourPositives(neighbours).draw(rows, data, gen)[:, 0]
    assert all(int(d) in set(neighbours[int(r)].tolist()) for r, d in zip(rows, drawn, strict=True))
    views = torch.stack([data + 100, data + 200])
    drawn = ViewPositives(views).draw(rows, data, gen)[:, 0]
    assert all(int(d) - int(r) in (100, 200) for r, d in zip(rows, drawn, strict=True))


@pytest.mark.timeout(30)
def test_contrastive_term_is_finite_and_reaches_the_binary_head():
    torch.manual_seed(0)
    config = tiny_config().with_(
        warmup_steps=0, kappa=0.5, contrastive_weight=1.0, positives="neighbours"
    )
    model = build_model(config)
    x = torch.randn(config.batch_size, config.in_dim)
    actor, _, terms = vae_losses(model, x, make_geco(config), config, 64, x + 0.1)
    assert math.isfinite(terms["contrast"])
    assert terms["contrast"] > 0
    model.zero_grad()
    actor.backward()
    assert model.binary.fc.weight.grad.abs().sum() > 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("positives", ["neighbours", "views"])
def test_fit_with_contrastive_partners_learns(positives):
    """With partners, ``fit`` trains both what it reconstructs and what the contrastive term
    asks: both losses end clearly lower than they start (without optimiser steps, or with the
    term left out of the encoder's loss, the contrastive loss stays where it was)."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((8, 24)) * 2
    x = (centres[rng.integers(0, 8, 128)] + 0.3 * rng.standard_normal((128, 24))).astype(np.float32)
    views = np.stack([x + 0.05 * rng.normal(size=x.shape).astype(np.float32) for _ in range(2)])
    config = tiny_config().with_(
        epochs=8,
        lr=1e-2,
        adj_exponent=10.0,
        contrastive_weight=5.0,
        positives=positives,
        neighbours_k=4,
    )
    trained = fit(config, Split(x, np.zeros(len(x))), log=False, views=views)
    assert all("contrast" in row and math.isfinite(row["contrast"]) for row in trained.history)
    assert trained.encode(x).shape == (len(x), config.bits)
    contrast = [row["contrast"] for row in trained.history]
    mse = [row["mse"] for row in trained.history]
    assert contrast[-1] < 0.92 * contrast[0], contrast
    assert mse[-1] < 0.9 * mse[0], mse


@pytest.mark.timeout(30)
def test_augmented_views_are_reproducible_same_size_and_different():
    from PIL import Image

    from twinlens.training.data.augment import augment, view_seed

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    first = augment(image, view_seed(0, 7))
    assert first.size == image.size
    assert first.mode == "RGB"
    assert np.array_equal(np.asarray(first), np.asarray(augment(image, view_seed(0, 7))))
    others = [np.asarray(augment(image, view_seed(v, i))) for v in range(2) for i in range(4)]
    assert sum(not np.array_equal(o, np.asarray(image)) for o in others) >= 7
    assert view_seed(0, 7) != view_seed(1, 7)
    assert view_seed(0, 7) != view_seed(0, 8)
