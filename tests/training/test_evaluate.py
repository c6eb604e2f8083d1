"""mAP@k (stable and tie-aware) and PR curves against hand-computed and brute-force values.

Why: at 16 bits whole Hamming shells tie, so a metric that orders ties by accident is not
reproducible (method notes 4.2). The tie-aware value is checked against an enumeration of
every order inside every shell.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from twinlens.training.evaluate import hamming, mean_average_precision, pr_curve


def _codes_at(distances, bits=4):
    """A query code 0000 and database codes with the given Hamming distances to it."""
    db = np.zeros((len(distances), bits), np.uint8)
    for i, d in enumerate(distances):
        db[i, :d] = 1
    return np.zeros((1, bits), np.uint8), db


@pytest.mark.timeout(30)
def test_map_hand_computed_with_ties():
    q, db = _codes_at([0, 1, 1, 2, 2])
    labels = np.array([1, 0, 1, 1, 0])
    # k=4, stable order 0,1,2,3: rel 1,0,1,1 -> (1 + 2/3 + 3/4) / 3.
    result = mean_average_precision(q, db, np.array([1]), labels, k=4)
    assert result.stable == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    # Shell d=1 in either order, one of shell d=2 drawn: rel lists 1011, 1010, 1101, 1100.
    expected = ((1 + 2 / 3 + 3 / 4) / 3 + (1 + 2 / 3) / 2 + (1 + 1 + 3 / 4) / 3 + 1.0) / 4
    assert result.tie_aware == pytest.approx(expected)
    # k=3: no shell is cut; only the order within d=1 is random.
    result = mean_average_precision(q, db, np.array([1]), labels, k=3)
    assert result.stable == pytest.approx((1 + 2 / 3) / 2)
    assert result.tie_aware == pytest.approx(((1 + 2 / 3) / 2 + 1.0) / 2)


@pytest.mark.timeout(30)
def test_query_without_hits_scores_zero():
    q, db = _codes_at([0, 1, 2])
    result = mean_average_precision(q, db, np.array([5]), np.array([1, 2, 3]), k=2)
    assert result.stable == 0.0
    assert result.tie_aware == 0.0


def _ap(rel, k):
    rel = np.asarray(rel[:k], float)
    hits = np.cumsum(rel)
    return (
        0.0 if hits[-1] == 0 else float((rel * hits / np.arange(1, len(rel) + 1)).sum() / hits[-1])
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tie_aware_equals_enumeration_of_shell_orders(seed):
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 3, size=7)
    labels = rng.integers(0, 2, size=7)
    q, db = _codes_at(distances, bits=3)
    k = 4
    shells = [np.flatnonzero(distances == d) for d in range(4)]
    values = [
        _ap(labels[np.concatenate([np.array(p, int) for p in perm])] == 1, k)
        for perm in itertools.product(*(itertools.permutations(s) for s in shells))
    ]
    result = mean_average_precision(q, db, np.array([1]), labels, k=k)
    assert result.tie_aware == pytest.approx(np.mean(values))
    assert result.stable == pytest.approx(_ap(labels[np.argsort(distances, kind="stable")] == 1, k))


@pytest.mark.timeout(30)
def test_hamming_and_pr_curve():
    q, db = _codes_at([0, 1, 1, 2])
    assert hamming(q, db).tolist() == [[0, 1, 1, 2]]
    curve = pr_curve(q, db, np.array([1]), np.array([1, 0, 1, 1]))
    assert curve.precision[:3].tolist() == pytest.approx([1.0, 2 / 3, 3 / 4])
    assert curve.recall[:3].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
