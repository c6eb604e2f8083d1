#!/usr/bin/env bash
# Set up a test environment in ./.venv and run every check: lint, types, layer contracts
# (tests/test_packaging.py) and the test suite.
# torch is pinned (training extra): any newer release pulls several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,training,desktop]"
.venv/bin/ruff check engine desktop training tests benchmarks resources packaging
.venv/bin/mypy engine packaging/twinlens
.venv/bin/python -m pytest "$@"
