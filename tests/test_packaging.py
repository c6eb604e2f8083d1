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

from tests.conftest import unmet

REPO = Path(__file__).resolve().parent.parent


def _clean_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked or new, never ignored): a stale
    ``build/`` folder would otherwise slip old modules into the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        timeout=120,
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


@pytest.fixture(scope="module")
def wheel_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = _clean_copy(tmp_path_factory.mktemp("source"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        timeout=300,
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
    assert (wheel_tree / "twinlens" / "engine" / "cli" / "__main__.py").is_file()
    assert (wheel_tree / "twinlens" / "engine" / "storage" / "store.py").is_file()
    assert list((wheel_tree / "twinlens" / "resources" / "models").glob("*.onnx"))
    assert (wheel_tree / "twinlens" / "resources" / "samples" / "kodim01.jpg").is_file()


def test_import_contracts_hold(wheel_tree: Path) -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        unmet("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [lint, str(REPO / "pyproject.toml")],
        timeout=120,
        cwd=wheel_tree,
        env={"PYTHONPATH": str(wheel_tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
