# ruff: noqa: TID253  (trains the torch models it compares)
"""Hyperparameter sweep on the CIFAR-10 TRAIN-set validation split (never the test queries).

Why: every setting in ``run_cifar`` must be chosen without looking at the test queries, and
comparing settings is only fair when they share data, neighbours and the split. Each
argument is one setting as JSON overrides of ``run_cifar.TBH_VAE``; the script prints
validation mAP@1000 per setting (also written as JSON with ``--out``).

    python -m twinlens.training.experiments.sweep '{}' \
        '{"contrastive_weight": 1, "positives": "neighbours"}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from twinlens.training.data.splits import cifar_protocol, validation_protocol, validation_rows
from twinlens.training.evaluate import mean_average_precision
from twinlens.training.train import evaluate, fit

from .baselines import fit_scaled_itq
from .run_cifar import TBH_VAE, partner_data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("settings", nargs="+", help="JSON overrides of run_cifar.TBH_VAE")
    parser.add_argument("--itq", action="store_true", help="also score ITQ at each length")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(2)
    train, _ = cifar_protocol()
    database, queries = validation_protocol(train)
    configs = [TBH_VAE.with_(**json.loads(s)) for s in args.settings]
    started = time.perf_counter()
    views, neighbours = partner_data(configs, database, validation_rows(len(train.labels))[0])
    print(f"contrastive partners ready in {time.perf_counter() - started:.0f}s", flush=True)
    rows = []
    for setting, config in zip(args.settings, configs, strict=True):
        started = time.perf_counter()
        trained = fit(config, database, views=views, neighbours=neighbours)
        score = evaluate(trained, database, queries).stable
        seconds = time.perf_counter() - started
        rows.append({"setting": json.loads(setting), "val_map": score, "seconds": seconds})
        print(f"val mAP@1000 {score:.4f}  {setting}", flush=True)
    if args.itq:
        for bits in sorted({c.bits for c in configs}):
            itq = fit_scaled_itq(database.features, bits)
            score = mean_average_precision(
                itq.encode(queries.features),
                itq.encode(database.features),
                queries.labels,
                database.labels,
            ).stable
            rows.append({"setting": {"method": "ITQ", "bits": bits}, "val_map": score})
            print(f"val mAP@1000 {score:.4f}  ITQ {bits} bits", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
