"""The wheel installs one ``twinlens`` package, and its layers obey the import contracts.

import-linter reads the contracts in pyproject.toml (engine: no Qt, no torch, nothing of ours
above it; desktop: no torch, no training). It runs over the built wheel's files, because the
editable install maps folders in a way import-linter cannot follow.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(out.glob("twinlens-*.whl"))
    tree = out / "tree"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tree)
    return tree


def test_wheel_has_one_top_level_package(wheel_tree: Path) -> None:
    top = {p.name for p in wheel_tree.iterdir() if not p.name.endswith(".dist-info")}
    assert top == {"twinlens"}
    assert (wheel_tree / "twinlens" / "engine" / "cli.py").is_file()
    assert list((wheel_tree / "twinlens" / "resources" / "models").glob("*.onnx"))
    assert (wheel_tree / "twinlens" / "resources" / "samples" / "kodim01.jpg").is_file()


def test_import_contracts_hold(wheel_tree: Path) -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [lint, "--config", str(REPO / "pyproject.toml")],
        cwd=wheel_tree,
        env={"PYTHONPATH": str(wheel_tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
