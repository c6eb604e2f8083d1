"""The headless promise (style guide 1): in test.sh's second environment, neither Qt nor torch
is even installed, and the engine and its command line still work."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from tests.conftest import make_photo
from twinlens.engine.cli import main

headless_run = pytest.mark.skipif(
    os.environ.get("TWINLENS_HEADLESS") != "1",
    reason="only in test.sh's headless environment (TWINLENS_HEADLESS=1)",
)


@headless_run
def test_no_qt_and_no_torch_are_installed() -> None:
    for name in ("PySide6", "shiboken6", "superqt", "torch", "pytestqt"):
        assert importlib.util.find_spec(name) is None, f"{name} is installed"


@headless_run
def test_the_command_line_runs_without_them(
    tiny_model: Path, tmp_path: Path, library_path: Path, capsys
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_photo(folder / "a.jpg", seed=1)
    (folder / "b.jpg").write_bytes((folder / "a.jpg").read_bytes())
    assert main(["dupes", str(folder), "--json", "--library", str(library_path)]) == 0
    groups = json.loads(capsys.readouterr().out)["groups"]
    assert [g["tier"] for g in groups] == ["exact"]
