"""Every engine error, failure reason and tier in the words a person reads (the one place).

Widgets never format an exception themselves: they call ``error_text`` and show the result, so
a traceback never reaches a person and the same failure reads the same everywhere.
"""

from __future__ import annotations

import html
import os

from twinlens.engine import (
    TIER_EDITED_COPY,
    TIER_EXACT,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    DecodeError,
    LibraryError,
    ModelError,
    TwinlensError,
    shown,
)

REASONS = {
    "empty": "The file is empty (0 bytes).",
    "not_an_image": "This file is not a picture, even though its name says so.",
    "corrupt": "The picture is damaged and cannot be shown.",
    "truncated": "The file is incomplete: it ends before the picture does "
    "(an interrupted copy or download?).",
    "unsupported": "This kind of picture is not supported yet.",
    "too_large": "The picture is too large to open safely.",
    "unreadable": "Twinlens is not allowed to read this file, or the disk reported an error.",
    "vanished": "The file was moved or deleted while Twinlens was reading it.",
}

TIER_NAMES = {
    TIER_EXACT: "Exact copies",
    TIER_SAME_PHOTO: "Same photo",
    TIER_EDITED_COPY: "Edited copies",
    TIER_SIMILAR_SHOT: "Similar shots",
}

TIER_MEANINGS = {
    TIER_EXACT: "Byte-for-byte identical files: the very same file stored more than once.",
    TIER_SAME_PHOTO: "The same picture saved again: resized, recompressed or converted to "
    "another format. Nothing in the picture itself differs.",
    TIER_EDITED_COPY: "The same photo after an edit: cropped, retouched, colour-adjusted or "
    "with text added.",
    TIER_SIMILAR_SHOT: "Different photos of the same moment or scene, like a burst or the same "
    "view taken twice. These are not duplicates: keep the ones you like.",
}

SIMILARITY = {
    TIER_EXACT: "Exact copy",
    TIER_SAME_PHOTO: "Same photo",
    TIER_EDITED_COPY: "Edited copy",
    TIER_SIMILAR_SHOT: "Similar shot",
    "": "Loosely alike",
}


def reason_text(reason: str | None) -> str:
    """A failure reason stored by the scanner, in words."""
    return REASONS.get(reason or "", "The picture could not be read.")


def tier_name(tier: str) -> str:
    return TIER_NAMES.get(tier, tier.replace("_", " ").capitalize())


def tier_meaning(tier: str, precision: float | None = None) -> str:
    """What a tier means, with how often it was right on the calibration set where measured."""
    text = TIER_MEANINGS.get(tier, "")
    if precision is not None:
        text += f" On our test photos, {precision:.0%} of such matches were right."
    return text


def similarity_text(tier: str) -> str:
    return SIMILARITY.get(tier, SIMILARITY[""])


def in_library_text(tier: str, closest_name: str | None) -> str:
    """The answer to "is this photo already in my library?"."""
    name = f" ({closest_name})" if closest_name else ""
    return {
        TIER_EXACT: f"Yes: this very file is already in your library{name}.",
        TIER_SAME_PHOTO: f"Yes: the same photo is already in your library{name}, "
        "perhaps at another size or quality.",
        TIER_EDITED_COPY: f"Yes, an edited copy: your library has this photo cropped or "
        f"retouched{name}.",
        TIER_SIMILAR_SHOT: "No, but your library has similar shots of the same scene.",
    }.get(tier, "No: nothing like this photo is in your library.")


def error_text(error: BaseException) -> str:
    """Any exception a job or an action raised, as one or two sentences."""
    if isinstance(error, DecodeError):
        return f"{shown(error.path.name)}: {reason_text(error.reason.value)}"
    if isinstance(error, ModelError):
        return f"The photo model could not be loaded: {error}"
    if isinstance(error, LibraryError):
        return f"The library cannot be used: {error}"
    if isinstance(error, TwinlensError):
        return str(error)
    if isinstance(error, FileNotFoundError):
        return f"{error.filename or 'The file'} no longer exists."
    if isinstance(error, PermissionError):
        return f"Twinlens is not allowed to use {error.filename or 'this file'}."
    if isinstance(error, OSError):
        return f"The disk reported a problem: {error.strerror or error}"
    name = type(error).__name__
    return f"Something went wrong ({name}). Twinlens keeps working; the log has details."


def size_text(size: int) -> str:
    """A byte count a person reads: 2.4 MB."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def duration_text(seconds: float | None) -> str:
    """Time left in words: "about 3 minutes left"."""
    if seconds is None:
        return "estimating time left"
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    if seconds < 3600:
        return f"about {round(seconds / 60)} min left"
    return f"about {seconds / 3600:.1f} h left"


def name_text(path: str | os.PathLike[str]) -> str:
    """A file's name for a label: printable (no control or undecodable bytes: paths.shown)."""
    return shown(os.path.basename(os.fspath(path)))


def name_html(path: str | os.PathLike[str]) -> str:
    """A file's name inside rich text: also HTML-escaped, so "<b>.jpg" stays text."""
    return html.escape(name_text(path))
