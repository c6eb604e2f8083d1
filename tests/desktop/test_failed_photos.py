"""A photo that cannot be read is listed with its reason in words, in the panel and the grid."""

from __future__ import annotations

from PySide6.QtCore import Qt

from twinlens.desktop.messages import REASONS, reason_text
from twinlens.engine.errors import DecodeReason


def test_bad_photo_is_shown_with_its_reason(window):
    texts = window.side.failed_texts()
    assert texts == [f"broken.jpg\n{reason_text('empty')}"]
    assert "empty (0 bytes)" in texts[0]
    row = next(i for i, e in enumerate(window.model.entries()) if e.name == "broken.jpg")
    tooltip = window.model.data(window.model.index(row), Qt.ItemDataRole.ToolTipRole)
    assert reason_text("empty") in tooltip
    assert "could not be read" in window.counts_label.text()


def test_every_failure_reason_has_words() -> None:
    assert set(REASONS) == {reason.value for reason in DecodeReason}


def test_status_bar_names_the_inference_provider(window):
    assert window.provider_label.text() == "Model runs on CPU"
    assert window.counts_label.text().startswith("7 photos")
