"""Review at library scale in the app (issue 12): remove all but the keeper of many groups
after one confirmation, export the groups, and the keeper rule's settings.

The confirmation says how many files, how many megabytes and how many groups; the person
chooses the system trash or a folder. The engine checks every group again under the
last-copy rule, and what it accepts is one undo step (Ctrl+Z brings it all back).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from twinlens.engine import BatchReceipt, DuplicateGroup

from .keeper_settings import KeeperSettingsDialog
from .messages import name_text
from .session import Session


def confirmation_text(files: int, size: int, groups: int) -> str:
    """What the confirmation says, in words (tests read it too)."""
    megabytes = size / 1_000_000
    return (
        f"Remove {files:,} file{'s' if files != 1 else ''} ({megabytes:,.1f} MB) from"
        f" {groups:,} group{'s' if groups != 1 else ''}?\n\n"
        "The suggested keeper of each group stays, and so do photos in reference folders and"
        " RAW + JPEG pairs. Twinlens checks every group again before anything moves and never"
        " removes the last copy of a photo. One Undo (Ctrl+Z) brings everything back."
    )


class ReviewActions(QObject):
    """Dialogs and flows of the duplicates review that span many groups."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.window = parent
        self.session: Session | None = None
        self.last_question = ""
        """The confirmation text last shown (tests and screenshots read it)."""
        self.answer_for_tests: str | None = None
        """"trash", "folder:PATH" or "cancel": answers the confirmation without a dialog."""
        self.dialog: QMessageBox | None = None

    def attach(self, session: Session) -> None:
        self.session = session
        session.batch_done.connect(self._report)

    # -- select all but the keeper ------------------------------------------------------

    def remove_all_but_keepers(self, groups: list[DuplicateGroup]) -> None:
        """Count what would go (sizes on a worker), then ask."""
        selections = [g.proposed_for_removal() for g in groups]
        selections = [s for s in selections if s]
        if self.session is None or not selections:
            return
        paths = [p for s in selections for p in s]
        self.session.sizes(paths, lambda sizes: self._confirm(selections, sizes))

    def _confirm(self, selections: list[list[str]], sizes: dict[str, int]) -> None:
        files = sum(len(s) for s in selections)
        self.last_question = confirmation_text(files, sum(sizes.values()), len(selections))
        choice = self.answer_for_tests or self._ask(self.last_question)
        if self.session is None or choice == "cancel":
            return
        if choice == "trash":
            self.session.remove_groups(selections)
            return
        folder = choice.removeprefix("folder:") or QFileDialog.getExistingDirectory(
            self.window, "Move the copies into this folder (outside the library)"
        )
        if folder:
            self.session.remove_groups(selections, Path(folder))

    def question_box(self, text: str) -> tuple[QMessageBox, QPushButton, QPushButton]:
        """The confirmation: Move to Trash (default), Move to Folder…, Cancel."""
        box = QMessageBox(self.window)
        box.setWindowTitle("Select All but the Keeper")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(text)
        trash = box.addButton("Move to Trash", QMessageBox.ButtonRole.AcceptRole)
        folder = box.addButton("Move to Folder…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(trash)
        return box, trash, folder

    def _ask(self, text: str) -> str:
        box, trash, folder = self.question_box(text)
        self.dialog = box
        box.exec()
        self.dialog = None
        clicked = box.clickedButton()
        return "trash" if clicked is trash else "folder:" if clicked is folder else "cancel"

    def _report(self, batch: BatchReceipt) -> None:
        if self.session is None:
            return
        moved, refused = len(batch.receipt.moved), len(batch.refused)
        failed = len(batch.receipt.failed)
        parts = [f"Removed {moved} file(s) in one step; Undo (Ctrl+Z) brings them back."]
        if refused:
            first = batch.refused[0][1]
            parts.append(f"{refused} group(s) were left as they are: {first}")
        if failed:
            path, why = batch.receipt.failed[0]
            parts.append(f"{failed} file(s) could not be moved ({name_text(path)}: {why})")
        self.session.message.emit(" ".join(parts))

    # -- export and settings ---------------------------------------------------------------

    def export(self, groups: list[DuplicateGroup], target: Path | None = None) -> None:
        """Write the groups as CSV or JSON, by the name chosen."""
        if self.session is None:
            return
        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self.window, "Export duplicate groups", "duplicates.csv",
                "Spreadsheet (*.csv);;JSON (*.json)",
            )  # fmt: skip
            if not name:
                return
            target = Path(name)
        fmt = "json" if target.suffix.lower() == ".json" else "csv"
        self.session.export(groups, fmt, target)

    def edit_keeper_rule(self, order: tuple[str, ...], raw_jpeg_removable: bool) -> None:
        dialog = KeeperSettingsDialog(order, raw_jpeg_removable, self.window)
        if dialog.exec() and self.session is not None:
            self.session.save_keeper_settings(dialog.order(), dialog.raw_jpeg.isChecked())
