"""A missing precondition skips a test on a developer's machine and fails it in CI (issue 15).

CI must never go green on a suite that ran nothing of substance: missing shared data, a
missing extra or a model file that was not built fails under ``CI=true`` (``.ci/run``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import need_module, shared_photos, unmet

SKIPPED, FAILED = pytest.skip.Exception, pytest.fail.Exception


def outcome(call: Callable[[], object]) -> tuple[type[BaseException], str]:
    """What ``call`` did to the test: skipped or failed it, and with which words.

    Caught here, never let through: a skip escaping this test would hide its own failure.
    """
    try:
        call()
    except (SKIPPED, FAILED) as exc:
        return type(exc), str(exc)
    raise AssertionError("the precondition neither skipped nor failed the test")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_an_unmet_precondition_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    kind, words = outcome(lambda: unmet("no photos here"))
    assert kind is FAILED
    assert "no photos here" in words


@pytest.mark.parametrize("value", [None, "", "false"])
def test_an_unmet_precondition_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    kind, words = outcome(lambda: unmet("no photos here"))
    assert kind is SKIPPED
    assert "no photos here" in words


def test_missing_shared_data_and_modules_go_through_the_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tests.conftest as shared

    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(shared, "PHOTOS", tmp_path / "nowhere")
    kind, words = outcome(lambda: shared_photos("kodak"))
    assert (kind, "shared photo data not found" in words) == (FAILED, True)
    kind, words = outcome(lambda: need_module("twinlens_no_such_module", "a test of the rule"))
    assert (kind, "twinlens_no_such_module" in words) == (FAILED, True)
    assert need_module("json", "always there").dumps([]) == "[]"
