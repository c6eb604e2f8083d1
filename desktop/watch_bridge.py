"""Carries the engine watcher's callbacks (on a watchdog thread) onto the GUI thread.

The engine knows nothing of Qt, so it calls a plain function; emitting a signal from that
thread to a QObject living on the GUI thread makes Qt queue the call there.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from twinlens.engine import LibraryChange


class WatchBridge(QObject):
    changed = Signal(object)  # LibraryChange, delivered on the GUI thread

    def relay(self, change: LibraryChange) -> None:
        """Any thread: hand the change to the GUI thread."""
        self.changed.emit(change)
