"""Typed errors: the engine raises these, and only the CLI and desktop/messages.py word them.

Each carries data (a path, a reason code) so callers can act on the kind of failure instead of
parsing text; this is what lets a scan record "truncated" for one file and go on.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class TwinlensError(Exception):
    """Base of every error the engine raises on purpose."""


class DecodeReason(StrEnum):
    """Why a photo could not be read. Stored in the library, so values never change."""

    EMPTY = "empty"
    NOT_AN_IMAGE = "not_an_image"
    CORRUPT = "corrupt"
    TRUNCATED = "truncated"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"
    VANISHED = "vanished"


class DecodeError(TwinlensError):
    """A photo could not be decoded; ``reason`` says why, ``detail`` says what was seen."""

    def __init__(self, path: Path | str, reason: DecodeReason, detail: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.detail = detail
        super().__init__(f"{path}: {reason.value}{': ' + detail if detail else ''}")


class ModelError(TwinlensError):
    """The model file is missing, unreadable or carries metadata this engine cannot use."""


class LibraryReason(StrEnum):
    """Why a library cannot be used: what the CLI and the app can act on."""

    DAMAGED = "damaged"
    """The file is an SQLite database whose pages are corrupt; nothing is written to it."""
    NOT_A_LIBRARY = "not_a_library"
    LOCKED = "locked"
    READ_ONLY = "read_only"
    DISK_FULL = "disk_full"
    MISSING = "missing"
    """No library at that path yet (read-only commands never create one)."""
    TOO_NEW = "too_new"
    UNAVAILABLE = "unavailable"
    """Any other failure to open or write the file (a folder cannot be made, I/O error...)."""


class LibraryError(TwinlensError):
    """The library database cannot be opened or used safely; ``reason`` says why."""

    def __init__(self, message: str, reason: LibraryReason = LibraryReason.UNAVAILABLE) -> None:
        self.reason = reason
        super().__init__(message)


class LibraryTooNew(LibraryError):
    """The library was written by a newer Twinlens; opening it could damage it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, LibraryReason.TOO_NEW)


class TrashRefused(TwinlensError):
    """A removal was refused before anything moved: ``paths`` are the files it concerned,
    as the user named them."""

    def __init__(self, message: str, paths: list[str]) -> None:
        self.paths = paths
        super().__init__(message)


class NothingToUndo(TwinlensError):
    """There is no removal left to undo."""


class UndoFailed(TwinlensError):
    """A removal could not be undone (the file left the trash, or the platform cannot say where).

    ``restored`` lists the files of the same step that were put back all the same.
    """

    def __init__(self, message: str, restored: list[str] | None = None) -> None:
        self.restored = restored or []
        super().__init__(message)


class BadChoice(TwinlensError):
    """A setting or option the person gave that Twinlens cannot use (the message says why
    and what would do)."""
