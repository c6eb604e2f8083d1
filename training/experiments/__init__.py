"""Evaluations and comparisons (CIFAR-10 mAP, near-duplicates, sweeps) and their baselines."""
