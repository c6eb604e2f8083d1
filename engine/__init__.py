"""Twinlens's headless core: index photo folders, find duplicates, search by example.

Import what you need from here; the command line and the desktop app use nothing else.
Nothing heavy happens at import: the model and onnxruntime load on first use.
"""

from .errors import (
    DecodeError,
    DecodeReason,
    LibraryError,
    LibraryTooNew,
    ModelError,
    NothingToUndo,
    TrashRefused,
    TwinlensError,
    UndoFailed,
)
from .indexing.scanner import ScanSummary
from .indexing.watcher import LibraryChange, Watcher
from .library import Library, LibraryInfo, Match, bundled_samples, default_library_path
from .matching.groups import DuplicateGroup, Member
from .progress import CancelToken, Progress
from .removal.trash import TrashReceipt

__all__ = [
    "CancelToken",
    "DecodeError",
    "DecodeReason",
    "DuplicateGroup",
    "Library",
    "LibraryChange",
    "LibraryError",
    "LibraryInfo",
    "LibraryTooNew",
    "Match",
    "Member",
    "ModelError",
    "NothingToUndo",
    "Progress",
    "ScanSummary",
    "TrashReceipt",
    "TrashRefused",
    "TwinlensError",
    "UndoFailed",
    "Watcher",
    "bundled_samples",
    "default_library_path",
]
