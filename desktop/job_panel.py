"""The running job in the status bar: what it is doing, how far, how fast, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .jobs import Job, JobStatus


class JobPanel(QWidget):
    """Shows the most recent running job; hides itself when none is left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._jobs: list[Job] = []
        self.cancel_button.clicked.connect(self.cancel_current)
        self.hide()

    def track(self, job: Job) -> None:
        self._jobs.append(job)
        job.progressed.connect(lambda status, job=job: self._on_progress(job, status))
        job.ended.connect(lambda job=job: self._on_ended(job))
        self.label.setText(f"{job.name}: starting…")
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def current(self) -> Job | None:
        return self._jobs[-1] if self._jobs else None

    def cancel_current(self) -> None:
        job = self.current()
        if job is not None:
            job.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(f"{job.name}: cancelling…")

    def _on_progress(self, job: Job, status: JobStatus) -> None:
        if job is not self.current() or job.cancelled:
            return
        self.label.setText(status.text)
        if status.total:
            self.bar.setRange(0, status.total)
            self.bar.setValue(status.done)
        else:
            self.bar.setRange(0, 0)

    def _on_ended(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        if not self._jobs:
            self.hide()
