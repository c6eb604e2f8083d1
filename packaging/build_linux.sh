#!/usr/bin/env bash
# Build dist/twinlens/: a runnable Linux app folder with the model inside (docs/packaging.md).
# Uses its own clean virtual environment (build/package-venv) with a regular, non-editable
# install, so exactly what a user gets is frozen, and nothing of the training stack.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls resources/models/*.onnx >/dev/null 2>&1; then
  echo "build_linux.sh: no model in resources/models; export or copy one there first" >&2
  exit 2
fi
venv=build/package-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet ".[desktop]" "pyinstaller>=6.10"
"$venv/bin/pyinstaller" --noconfirm --clean --distpath dist --workpath build/pyinstaller \
  packaging/twinlens.spec
# Smoke checks: the CLI answers, and the app opens its window and closes by itself.
dist/twinlens/twinlens info --library "$(mktemp -d)/check.twinlens" >/dev/null
TWINLENS_SMOKE=1 QT_QPA_PLATFORM=offscreen TWINLENS_LIBRARY="$(mktemp -d)/smoke.twinlens" \
  dist/twinlens/twinlens
echo "built dist/twinlens/ ($(du -sh dist/twinlens | cut -f1)); run dist/twinlens/twinlens"
