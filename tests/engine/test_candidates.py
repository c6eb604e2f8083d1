"""The code-neighbour candidate source: each row's k nearest within a radius, within a budget."""

from __future__ import annotations

import numpy as np

from twinlens.engine.matching.candidates import code_pairs


def _codes(n: int, seed: int = 0) -> np.ndarray:
    """Clustered 64-bit codes: 20 centres, each code a few random flips from its centre."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2**63, size=20, dtype=np.uint64)
    codes = centres[rng.integers(0, 20, size=n)]
    for _ in range(4):
        codes ^= np.uint64(1) << rng.integers(0, 64, size=n, dtype=np.uint64)
    return codes.reshape(-1, 1)


def _distances(codes: np.ndarray) -> np.ndarray:
    return np.bitwise_count(codes[:, 0][:, None] ^ codes[:, 0][None, :]).astype(np.int64)


def _pairs(found) -> set[tuple[int, int]]:
    return set(zip(found.left.tolist(), found.right.tolist(), strict=True))


def test_each_row_gets_its_nearest_neighbours_within_the_radius() -> None:
    codes = _codes(400)
    k, radius = 3, 8
    found = _pairs(code_pairs(codes, 64, k, radius))
    dist = _distances(codes)
    np.fill_diagonal(dist, 1000)
    for row in range(len(codes)):
        mine = {b if a == row else a for a, b in found if row in (a, b)}
        assert all(dist[row, other] <= radius for other in mine)
        within = np.flatnonzero(dist[row] <= radius)
        # Its k nearest (ties at the k-th distance may go either way) are all proposed.
        if len(within):
            kth = np.sort(dist[row, within])[: min(k, len(within))][-1]
            assert set(np.flatnonzero(dist[row] < kth).tolist()) <= mine
            assert len([o for o in mine if dist[row, o] <= kth]) >= min(k, len(within))


def test_the_pair_count_stays_linear_however_dense_the_codes() -> None:
    codes = np.repeat(_codes(30), 40, axis=0)  # 1,200 rows, each with 39 identical others
    found = code_pairs(codes, 64, 5, 12)
    assert len(found) <= 5 * len(codes)


def test_a_widening_step_over_the_work_budget_is_not_taken() -> None:
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 2**63, size=(3000, 1), dtype=np.uint64)  # spread out: few close
    codes[1500:1600] = codes[:100] ^ np.uint64(1 << 7)  # 100 copies one bit away
    codes[1600:1700] = codes[100:200] ^ np.uint64(0b111 << 20)  # 100 copies three bits away
    open_radius = _pairs(code_pairs(codes, 64, 5, 12))
    budgeted = _pairs(code_pairs(codes, 64, 5, 12, work=1.0))
    one_bit = {(i, 1500 + i) for i in range(100)}
    three_bits = {(100 + i, 1600 + i) for i in range(100)}
    assert one_bit | three_bits <= open_radius
    assert one_bit <= budgeted  # found at the first radius (2 bits), always searched
    assert not budgeted & three_bits  # the step to 4 bits was over budget
    dist = _distances(codes)
    assert all(dist[a, b] <= 2 for a, b in budgeted)
