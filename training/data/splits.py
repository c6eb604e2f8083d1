"""Cached backbone features as training and evaluation arrays, and their standardisation.

Why standardise: the pooled EfficientNet features are ReLU6 averages on very different scales
per dimension. Zero mean and unit variance per dimension give the reconstruction error (and
so GECO's kappa) a scale that means something ("0.3 = 30 % of each dimension's variance left
unexplained"), and the scaler is folded into the exported graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import CIFAR_PATH, load_or_compute

STD_FLOOR = 1e-3


@dataclass(frozen=True)
class Scaler:
    """Per-dimension standardisation fitted on the training features."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> Scaler:
        x = np.asarray(features, dtype=np.float64)
        return cls(
            mean=x.mean(axis=0).astype(np.float32),
            std=np.maximum(x.std(axis=0), STD_FLOOR).astype(np.float32),
        )

    def transform(self, features: np.ndarray) -> np.ndarray:
        """(N, D) raw features -> standardised float32."""
        return (np.asarray(features, dtype=np.float32) - self.mean) / self.std


@dataclass(frozen=True)
class Split:
    """Features (raw float32) and labels of one role in an evaluation."""

    features: np.ndarray
    labels: np.ndarray


def cifar_labels() -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 train and test labels in the official order (the features' row order)."""
    with np.load(CIFAR_PATH) as data:
        return data["y_train"].astype(np.int64), data["y_test"].astype(np.int64)


def cifar_protocol() -> tuple[Split, Split]:
    """The TBH protocol: train = database = 50,000 train images; queries = 10,000 test."""
    y_train, y_test = cifar_labels()
    train = load_or_compute("cifar10_train").astype(np.float32)
    test = load_or_compute("cifar10_test").astype(np.float32)
    return Split(train, y_train), Split(test, y_test)


def validation_rows(n: int, n_queries: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (database, query) row indices of the train-set validation split."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_queries:]), np.sort(order[:n_queries])


def augmented_views(count: int, rows: np.ndarray | None = None) -> np.ndarray:
    """(V, N, 1280) float32 features of ``count`` cached augmented views of the train set.

    Computed (``features.py``, one backbone pass per view) when absent; ``rows`` selects
    the training rows in use (the validation split's database).
    """
    views = [load_or_compute(f"cifar10_train_view{v}") for v in range(count)]
    stacked = np.stack(views).astype(np.float32)
    return stacked if rows is None else stacked[:, rows]


def validation_protocol(train: Split, n_queries: int = 1000, seed: int = 0) -> tuple[Split, Split]:
    """Hold out ``n_queries`` TRAIN images as queries; the rest is training set and database.

    Hyperparameters are chosen on this split so the CIFAR test queries are never looked at.
    """
    db, q = validation_rows(len(train.labels), n_queries, seed)
    return (
        Split(train.features[db], train.labels[db]),
        Split(train.features[q], train.labels[q]),
    )
