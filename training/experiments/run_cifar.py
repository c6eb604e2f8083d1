# ruff: noqa: TID253  (trains the torch models of the comparison)
"""Evaluation 1 of issue 4: CIFAR-10 under the TBH protocol, every method in ONE run.

Train without labels on the 50,000 training features; database = those 50,000; queries = the
10,000 test images; mAP@1000 with a stable sort and its tie-aware expectation; PR curves
(radius retrieval) as one PNG. Methods: TBH-VAE, TBH-VAE with a code contrastive term
(partners: feature-space neighbours, or augmented views; the CIBHash ablation), TBH, ITQ and
LSH at 16, 32 and 64 bits, all on the same cached EfficientNet-Lite0 features. With
``--validate`` the same run is made on a validation split of the TRAIN set (1,000 held-out
train queries against the other 49,000), which is where hyperparameters were chosen; the
test queries are used only for the final table.

    python -m twinlens.training.experiments.run_cifar --out cache/runs/cifar  # the table
    python -m twinlens.training.experiments.run_cifar --validate --out cache/runs/val
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from twinlens.training.config import (
    TBH_PUBLISHED,
    TBH_VAE,
    TBH_VAE_NEIGHBOURS,
    TBH_VAE_VIEWS,
    TrainConfig,
)
from twinlens.training.data.positives import feature_neighbours
from twinlens.training.data.splits import (
    Split,
    augmented_views,
    cifar_protocol,
    validation_protocol,
    validation_rows,
)
from twinlens.training.evaluate import mean_average_precision, plot_pr_curves, pr_curve
from twinlens.training.train import fit, load, save

from .baselines import fit_lsh, fit_scaled_itq

BITS = (16, 32, 64)

LEARNED = {
    "TBH-VAE": TBH_VAE,
    "TBH-VAE+NC": TBH_VAE_NEIGHBOURS,
    "TBH-VAE+VC": TBH_VAE_VIEWS,
    "TBH": TBH_PUBLISHED,
}
"""Learned methods: +NC = neighbour contrast, +VC = augmented-view contrast (CIBHash)."""
METHODS = (*LEARNED, "ITQ", "LSH")


def partner_data(
    configs: list[TrainConfig], database: Split, view_rows: np.ndarray | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(views, neighbours) that the contrastive configs among ``configs`` need, made once.

    Args:
        view_rows: training rows of ``database`` (for slicing the augmented-view cache);
            None when the database is the whole training set.
    """
    views = neighbours = None
    if any(c.partners == "views" for c in configs):
        views = augmented_views(max(c.view_count for c in configs), view_rows)
    if any(c.partners == "neighbours" for c in configs):
        neighbours = feature_neighbours(database.features, max(c.neighbours_k for c in configs))
    return views, neighbours


def run_dir(name: str, bits: int) -> str:
    """Folder name of one trained model inside a run, e.g. ``tbh-vae+nc-64``."""
    return f"{name.lower()}-{bits}"


def encoders(
    train: Split,
    bits: int,
    out: Path,
    lambdas: dict,
    views: np.ndarray | None,
    neighbours: np.ndarray | None,
    rescore: bool = False,
) -> dict:
    """Fit every method at one code length; returns name -> features->codes function.

    With ``rescore`` the learned models saved by an earlier run in ``out`` are loaded instead
    of trained again (scoring and plots only).
    """
    result = {}
    for name, base in LEARNED.items():
        if rescore:
            trained = load(out / run_dir(name, bits))
        else:
            trained = fit(base.with_(bits=bits), train, views=views, neighbours=neighbours)
            save(trained, out / run_dir(name, bits))
        if base.method == "tbh_vae":
            lambdas[f"{name} {bits} bits"] = [row["log_lambda"] for row in trained.history]
        result[name] = trained.encode
    result["ITQ"] = fit_scaled_itq(train.features, bits).encode
    result["LSH"] = fit_lsh(train.features, bits).encode
    return result


def run(
    database: Split,
    queries: Split,
    out: Path,
    view_rows: np.ndarray | None = None,
    rescore: bool = False,
) -> dict:
    """Train (on the database features), score, plot; returns the results dictionary.

    Args:
        view_rows: training rows of ``database`` (for slicing the augmented-view cache);
            None when the database is the whole training set.
    """
    results: dict[str, dict] = {}
    curves = {}
    lambdas: dict[str, list[float]] = {}
    views, neighbours = (
        (None, None) if rescore else partner_data(list(LEARNED.values()), database, view_rows)
    )
    for bits in BITS:
        fitted = encoders(database, bits, out, lambdas, views, neighbours, rescore)
        for name, encode in fitted.items():
            started = time.perf_counter()
            db_codes, q_codes = encode(database.features), encode(queries.features)
            scores = mean_average_precision(q_codes, db_codes, queries.labels, database.labels)
            curves[f"{name}@{bits}"] = pr_curve(q_codes, db_codes, queries.labels, database.labels)
            results.setdefault(name, {})[bits] = {
                "map_stable": scores.stable,
                "map_tie_aware": scores.tie_aware,
                "bit_balance_min": float(db_codes.mean(0).min()),
                "bit_balance_max": float(db_codes.mean(0).max()),
            }
            print(
                f"{name}@{bits}: mAP@1000 {scores.stable:.4f} (tie-aware "
                f"{scores.tie_aware:.4f}) scored in {time.perf_counter() - started:.0f}s",
                flush=True,
            )
    plot_pr_curves(curves, out / "pr_curves.png", "CIFAR-10, radius retrieval (Hamming)")
    plot_log_lambda(lambdas, out / "geco_log_lambda.png")
    results["geco_log_lambda"] = lambdas
    arrays: dict[str, Any] = {k: np.stack([c.precision, c.recall]) for k, c in curves.items()}
    np.savez(out / "pr_curves.npz", **arrays)
    return results


def plot_log_lambda(lambdas: dict[str, list[float]], path: Path) -> None:
    """GECO's log lambda at the end of each epoch, one line per TBH-VAE model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for label, values in lambdas.items():
        ax.plot(range(1, len(values) + 1), values, marker=".", label=label)
    ax.set(xlabel="epoch", ylabel="log lambda", title="TBH-VAE GECO multiplier")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(results: dict) -> str:
    """Markdown table: method x bits, stable mAP@1000 (tie-aware in parentheses)."""
    lines = [
        "| method | " + " | ".join(f"{b} bits" for b in BITS) + " |",
        "|---|" + "---|" * len(BITS),
    ]
    for name in METHODS:
        cells = [
            f"{results[name][b]['map_stable']:.4f} ({results[name][b]['map_tie_aware']:.4f})"
            for b in BITS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--validate", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("cache/runs/cifar"))
    parser.add_argument(
        "--rescore", action="store_true", help="score the models saved in --out, no training"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    train, test = cifar_protocol()
    database, queries = validation_protocol(train) if args.validate else (train, test)
    view_rows = validation_rows(len(train.labels))[0] if args.validate else None
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(database, queries, args.out, view_rows, args.rescore)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    text = table(results)
    (args.out / "table.md").write_text(text + "\n")
    print(text)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
