# ruff: noqa: TID253  (trains the torch models of the comparison)
"""Evaluation 1 of issue 4: CIFAR-10 under the TBH protocol, every method in ONE run.

Train without labels on the 50,000 training features; database = those 50,000; queries = the
10,000 test images; mAP@1000 with a stable sort and its tie-aware expectation; PR curves
(radius retrieval) as one PNG. Methods: TBH-VAE, TBH, ITQ and LSH at 16, 32 and 64 bits, all
on the same cached EfficientNet-Lite0 features. With ``--validate`` the same run is made on a
validation split of the TRAIN set (1,000 held-out train queries against the other 49,000),
which is where hyperparameters were chosen; the test queries are used only for the final table.

    python -m twinlens.training.run_cifar --out cache/runs/cifar            # the reported table
    python -m twinlens.training.run_cifar --validate --out cache/runs/val   # model selection
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from .baselines import fit_lsh, fit_scaled_itq
from .config import TrainConfig
from .data import Split, cifar_protocol, validation_protocol
from .evaluate import mean_average_precision, plot_pr_curves, pr_curve
from .train import fit, save

BITS = (16, 32, 64)
METHODS = ("TBH-VAE", "TBH", "ITQ", "LSH")

# Chosen on the train-set validation split (docs/training.md); everything else is default.
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
TBH_PUBLISHED = TrainConfig(method="tbh", adj_exponent=10.0, lr=1e-3, critic_lr=1e-3, epochs=6)


def encoders(train: Split, bits: int, out: Path, lambdas: dict) -> dict:
    """Fit every method at one code length; returns name -> features->codes function."""
    result = {}
    for name, base in (("TBH-VAE", TBH_VAE), ("TBH", TBH_PUBLISHED)):
        trained = fit(base.with_(bits=bits), train)
        save(trained, out / f"{name.lower()}-{bits}")
        if name == "TBH-VAE":
            lambdas[bits] = [row["log_lambda"] for row in trained.history]
        result[name] = trained.encode
    result["ITQ"] = fit_scaled_itq(train.features, bits).encode
    result["LSH"] = fit_lsh(train.features, bits).encode
    return result


def run(database: Split, queries: Split, out: Path) -> dict:
    """Train (on the database features), score, plot; returns the results dictionary."""
    results: dict[str, dict] = {}
    curves = {}
    lambdas: dict[int, list[float]] = {}
    for bits in BITS:
        for name, encode in encoders(database, bits, out, lambdas).items():
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
    np.savez(
        out / "pr_curves.npz", **{k: np.stack([c.precision, c.recall]) for k, c in curves.items()}
    )
    return results


def plot_log_lambda(lambdas: dict[int, list[float]], path: Path) -> None:
    """GECO's log lambda at the end of each epoch, one line per code length."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for bits, values in lambdas.items():
        ax.plot(range(1, len(values) + 1), values, marker=".", label=f"{bits} bits")
    ax.set(xlabel="epoch", ylabel="log lambda", title="TBH-VAE GECO multiplier")
    ax.grid(alpha=0.3)
    ax.legend()
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
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.perf_counter()
    train, test = cifar_protocol()
    database, queries = validation_protocol(train) if args.validate else (train, test)
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(database, queries, args.out)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    text = table(results)
    (args.out / "table.md").write_text(text + "\n")
    print(text)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
