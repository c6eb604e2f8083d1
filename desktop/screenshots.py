"""Render the main window, the duplicate review flow and search results on the sample library.

The review flow (issue 12): a group whose suggested keeper is the original with its reason,
the folder panel with a reference folder ticked, the keeper rule's settings, and the
confirmation of "Select all but the keeper".

    xvfb-run -a python -m twinlens.desktop.screenshots [--out docs/screenshots]

Without a display it falls back to Qt's offscreen platform. The sample library is indexed
into a temporary library with the model the engine finds (the shipped one, or
$TWINLENS_MODEL), and settings and thumbnails go to a temporary folder too, so nothing of
the person running it is read or changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

SIZE = (1280, 820)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget as QWidgetLike

    from .main_window import MainWindow


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Process events until ``predicate`` holds (the app's work runs on workers)."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float = 1.0) -> None:
    """Let thumbnails arrive and repaint."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def render(out: Path, work: Path) -> list[Path]:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtGui import QImage

    from twinlens.desktop.app import application, build_window
    from twinlens.desktop.main_window import DUPLICATES_TAB
    from twinlens.engine import Library

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "qs"))
    app = application()
    app.setStyle("Fusion")
    library = Library(work / "Sample photos.twinlens")
    samples = _fresh_samples(work)
    library.add_roots([samples])
    library.run_scan()
    window = build_window(library, watch=False)
    window.resize(*SIZE)
    window.show()
    session = window.session
    assert session is not None
    wait_until(lambda: window.model.rowCount() > 0 and bool(session.provider))
    settle(2.0)
    out.mkdir(parents=True, exist_ok=True)
    shots = [_save(window, out / "library.png")]

    window.show_tab(DUPLICATES_TAB)
    wait_until(lambda: window.duplicates.current_group() is not None)
    _pick_edited_group(window)
    settle(2.5)
    shots.append(_save(window, out / "duplicates.png"))
    shots += _review_flow(window, out, library)

    # A copy from outside the library, as if downloaded again at half the size.
    query = work / "kodim07 from the web.jpg"
    original = QImage(str(samples / "kodim07.jpg"))
    original.scaledToWidth(original.width() // 2, Qt.TransformationMode.SmoothTransformation).save(
        str(query),
        "JPEG",
        80,  # type: ignore[call-overload]  # str works, the stubs say bytes
    )
    answered: list[object] = []
    session.search_done.connect(answered.append)
    window.find_similar(str(query))
    wait_until(lambda: bool(answered))
    settle(2.0)
    shots.append(_save(window, out / "search.png"))
    window.close()
    return shots


def _fresh_samples(work: Path) -> Path:
    """The packaged samples copied into the temporary folder (never the person's copy)."""
    import shutil
    from importlib.resources import files

    target = work / "Sample photos"
    shutil.copytree(str(files("twinlens.resources").joinpath("samples")), target)
    return target


def _review_flow(window: MainWindow, out: Path, library: object) -> list[Path]:
    """The keeper of the recompressed copy's group, the keeper rule, the confirmation."""
    from twinlens.desktop.duplicates_view import GROUP_ROLE
    from twinlens.desktop.keeper_settings import KeeperSettingsDialog
    from twinlens.desktop.review_actions import confirmation_text

    view = window.duplicates
    for item in view._group_items():
        if any("q50" in p for p in item.data(0, GROUP_ROLE).paths):
            view.tree.setCurrentItem(item)
    settle(2.0)
    shots = [_save(window, out / "keeper.png")]
    dialog = KeeperSettingsDialog(window.keeper_choice[0], window.keeper_choice[1], window)
    dialog.show()
    settle(0.5)
    shots.append(_save(dialog, out / "keeper-rule.png"))
    dialog.close()
    groups = [g for g in view.visible_groups() if g.proposed_for_removal()]
    paths = [p for g in groups for p in g.proposed_for_removal()]
    size = sum(os.lstat(p).st_size for p in paths)
    box, _, _ = window.review.question_box(confirmation_text(len(paths), size, len(groups)))
    box.show()
    settle(0.5)
    shots.append(_save(box, out / "select-all-but-keeper.png"))
    box.close()
    return shots


def _pick_edited_group(window: MainWindow) -> None:
    """Show an edited-copy group if there is one: it has the most telling differences."""
    from twinlens.desktop.duplicates_view import GROUP_ROLE
    from twinlens.engine import TIER_EDITED_COPY

    view = window.duplicates
    for item in view._group_items():
        group = item.data(0, GROUP_ROLE)
        if group.tier == TIER_EDITED_COPY:
            view.tree.setCurrentItem(item)
            return


def _save(window: QWidgetLike, path: Path) -> Path:
    window.grab().save(str(path))
    print(f"saved {path}")  # noqa: T201 (a command-line script)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save screenshots of the Twinlens app.")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        os.environ["TWINLENS_CACHE"] = str(work / "cache")
        render(args.out.resolve(), work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
