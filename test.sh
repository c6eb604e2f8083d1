#!/usr/bin/env bash
# Set up a test environment in ./.venv and run every check: lint, types, layer contracts
# (tests/test_packaging.py), the engine's tests again in ./.venv-headless (no Qt, no torch:
# the headless promise is checked, not assumed) and the whole test suite.
# torch is pinned (training extra): any newer release pulls several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,training,desktop,cluster]"
.venv/bin/ruff check engine desktop training tests benchmarks resources packaging
.venv/bin/mypy engine desktop training packaging/twinlens
# The engine and its command line in an environment without Qt and without torch.
[ -x .venv-headless/bin/python ] || python3 -m venv .venv-headless
.venv-headless/bin/python -m pip install --quiet --upgrade pip
.venv-headless/bin/python -m pip install --quiet -e ".[headless-test]"
TWINLENS_HEADLESS=1 .venv-headless/bin/python -m pytest -q tests/engine
# Qt's offscreen platform (the desktop tests) needs these Debian libraries, which a fresh
# machine may lack. Installed only when one is missing and apt-get is there (as root, or with
# passwordless sudo); Debian 13 renamed some to *t64, which counts as installed too.
qt_debs="libegl1 libgl1 libopengl0 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
  libdbus-1-3 libx11-6 fonts-dejavu-core"
deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
  missing=""
  for deb in $qt_debs; do
    deb_installed "$deb" || deb_installed "${deb}t64" || missing="$missing $deb"
  done
  sudo=""
  if [ -n "$missing" ] && [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo -n"; fi
  if [ -n "$missing" ] && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    echo "test.sh: installing system libraries for Qt:$missing" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    wanted=""
    for deb in $missing; do
      if apt-cache show "$deb" >/dev/null 2>&1; then wanted="$wanted $deb"; else wanted="$wanted ${deb}t64"; fi
    done
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $wanted
  fi
fi
.venv/bin/python -m pytest "$@"
