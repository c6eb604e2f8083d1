#!/usr/bin/env bash
# Set up Twinlens in ./.venv (first run only) and run it. With no arguments it finds the
# duplicates of the bundled sample library; otherwise the arguments go to `twinlens`:
#   ./run.sh                      duplicates in the sample library
#   ./run.sh dupes ~/Pictures     index a folder and print its duplicate groups
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/twinlens ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
fi
if [ $# -eq 0 ]; then
  export TWINLENS_LIBRARY="${TWINLENS_LIBRARY:-$PWD/.venv/sample-library.twinlens}"
  exec .venv/bin/twinlens dupes
fi
exec .venv/bin/twinlens "$@"
