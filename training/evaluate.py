"""Retrieval metrics for binary codes: mAP@k (stable and tie-aware) and PR curves.

Conventions (method notes 4.2): relevance = same label; ranking by ascending Hamming distance;
AP@k = (1 / R_k) sum_{j<=k} rel(j) Prec@j with R_k the hits found in the top k, and a query
with R_k = 0 scores 0 (CIBHash's rule; TBH's code drops such queries instead).

* ``stable``: ties are broken by database order (a stable sort), so the number is reproducible.
* ``tie_aware``: the exact expectation of AP@k when every Hamming shell is ordered uniformly
  at random (McSherry & Najork 2008, extended to the shell cut by k, whose number of hits is
  hypergeometric). At 16 bits a shell can hold thousands of items, and this is the fair number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHUNK = 200


@dataclass(frozen=True)
class MapResult:
    stable: float
    tie_aware: float


@dataclass(frozen=True)
class PRCurve:
    """Micro-averaged precision and recall of "retrieve everything within radius r"."""

    radius: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


def hamming(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """(Q, M) x (N, M) {0,1} codes -> (Q, N) int16 Hamming distances."""
    q = np.asarray(queries, dtype=np.float32)
    d = np.asarray(database, dtype=np.float32)
    return (q @ (1.0 - d).T + (1.0 - q) @ d.T).round().astype(np.int16)


def _stable_ap(dist: np.ndarray, rel_all: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    rel = np.take_along_axis(rel_all, order, axis=1).astype(np.float64)
    hits = np.cumsum(rel, axis=1)
    prec = hits / np.arange(1, rel.shape[1] + 1)
    r_k = hits[:, -1]
    return np.where(r_k > 0, (rel * prec).sum(axis=1) / np.maximum(r_k, 1), 0.0)


def _shell_histograms(dist: np.ndarray, rel: np.ndarray, bits: int) -> tuple[np.ndarray, ...]:
    rows = np.arange(dist.shape[0])[:, None] * (bits + 1)
    idx = (dist.astype(np.int64) + rows).ravel()
    size = dist.shape[0] * (bits + 1)
    count = np.bincount(idx, minlength=size).reshape(-1, bits + 1)
    hits = np.bincount(idx, weights=rel.ravel().astype(np.float64), minlength=size)
    return count, hits.reshape(-1, bits + 1).round().astype(np.int64)


def _expected_shell_sum(
    a: np.ndarray, n: np.ndarray, r: np.ndarray, c: np.ndarray, harmonic: np.ndarray
) -> np.ndarray:
    """E[sum over a shell at positions a+1..a+n of rel(j) * hits(<=j) / j], r hits, c before.

    E[rel(j) hits(<=j)] = (r/n) (c + 1 + (t - 1)(r - 1)/(n - 1)) for the t-th shell position.
    """
    n_safe = np.maximum(n, 1)
    dh = harmonic[a + n] - harmonic[a]
    spread = (r - 1) / np.maximum(n - 1, 1) * (n - (a + 1) * dh)
    return np.where(n > 0, (r / n_safe) * ((c + 1) * dh + spread), 0.0)


def _hypergeom_pmf(h: np.ndarray, n: int, r: int, m: int, log_fact: np.ndarray) -> np.ndarray:
    """P(h hits among m drawn from n items of which r are hits)."""

    def log_choose(a: int | np.ndarray, b: int | np.ndarray) -> np.ndarray:
        return log_fact[a] - log_fact[b] - log_fact[np.subtract(a, b)]

    return np.exp(log_choose(r, h) + log_choose(n - r, m - h) - log_choose(n, m))


def _tie_aware_ap(count: np.ndarray, hits: np.ndarray, k: int, harmonic: np.ndarray) -> np.ndarray:
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, len(harmonic))))])
    before = np.cumsum(count, axis=1) - count
    hits_before = np.cumsum(hits, axis=1) - hits
    full = before + count <= k
    sums = _expected_shell_sum(before, count, hits, hits_before, harmonic)
    s_inner = np.where(full, sums, 0.0).sum(axis=1)
    r_inner = np.where(full, hits, 0).sum(axis=1)
    ap = np.where(r_inner > 0, s_inner / np.maximum(r_inner, 1), 0.0)
    cut = (~full) & (before < k)
    for qi, d in zip(*np.nonzero(cut), strict=True):
        n, r, a = int(count[qi, d]), int(hits[qi, d]), int(before[qi, d])
        m = k - a
        h = np.arange(max(0, m - (n - r)), min(m, r) + 1)
        pmf = _hypergeom_pmf(h, n, r, m, log_fact)
        c = int(r_inner[qi])
        part = _expected_shell_sum(
            np.full_like(h, a), np.full_like(h, m), h, np.full_like(h, c), harmonic
        )
        total = c + h
        values = np.where(total > 0, (s_inner[qi] + part) / np.maximum(total, 1), 0.0)
        ap[qi] = float((pmf * values).sum())
    return ap


def mean_average_precision(
    query_codes: np.ndarray,
    db_codes: np.ndarray,
    query_labels: np.ndarray,
    db_labels: np.ndarray,
    k: int = 1000,
) -> MapResult:
    """mAP@k with a stable sort and its tie-aware expectation (module docstring)."""
    bits = query_codes.shape[1]
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, len(db_codes) + 1))])
    stable, tie = [], []
    for lo in range(0, len(query_codes), CHUNK):
        dist = hamming(query_codes[lo : lo + CHUNK], db_codes)
        rel = query_labels[lo : lo + CHUNK, None] == db_labels[None, :]
        stable.append(_stable_ap(dist, rel, k))
        count, hits = _shell_histograms(dist, rel, bits)
        tie.append(_tie_aware_ap(count, hits, k, harmonic))
    return MapResult(float(np.concatenate(stable).mean()), float(np.concatenate(tie).mean()))


def pr_curve(
    query_codes: np.ndarray,
    db_codes: np.ndarray,
    query_labels: np.ndarray,
    db_labels: np.ndarray,
) -> PRCurve:
    """Precision and recall of radius retrieval at every radius 0..M (summed over queries)."""
    bits = query_codes.shape[1]
    count = np.zeros(bits + 1)
    hits = np.zeros(bits + 1)
    relevant = 0.0
    for lo in range(0, len(query_codes), CHUNK):
        dist = hamming(query_codes[lo : lo + CHUNK], db_codes)
        rel = query_labels[lo : lo + CHUNK, None] == db_labels[None, :]
        c, h = _shell_histograms(dist, rel, bits)
        count += c.sum(axis=0)
        hits += h.sum(axis=0)
        relevant += rel.sum()
    cum_count, cum_hits = np.cumsum(count), np.cumsum(hits)
    precision = np.where(cum_count > 0, cum_hits / np.maximum(cum_count, 1), 1.0)
    return PRCurve(np.arange(bits + 1), precision, cum_hits / max(relevant, 1.0))


def plot_pr_curves(curves: dict[str, PRCurve], path: Path, title: str) -> None:
    """One PNG with a precision-recall panel per code length (keys "METHOD@BITS")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lengths = sorted({int(key.split("@")[1]) for key in curves})
    fig, axes = plt.subplots(1, len(lengths), figsize=(5 * len(lengths), 4.4), squeeze=False)
    for ax, bits in zip(axes[0], lengths, strict=True):
        for key, curve in curves.items():
            method, length = key.split("@")
            if int(length) == bits:
                ax.plot(curve.recall, curve.precision, marker=".", label=method)
        ax.set(title=f"{bits} bits", xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
