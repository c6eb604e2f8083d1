"""Taking a folder out of a library: its root and its photo rows go, the files stay.

Codes and facts are kept (they are keyed by content), so adding the folder back, or a copy of
it elsewhere, costs no re-encoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .library import Library


def remove_root(library: Library, root: Path | str) -> int:
    """Stop tracking ``root``; returns how many photo rows were forgotten. Touches no file."""
    root = Path(root)
    known = library.store.photos_under(root)
    removed = library.store.forget_paths(known)
    with library.store.writing() as db:
        db.execute("delete from roots where path = ?", [str(root)])
    return removed
