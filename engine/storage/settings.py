"""Library settings: choices that travel with the library file, so the CLI and the app agree.

Each is declared once here with its type and default, and kept in the ``settings`` table
(m001) as text. UI state (window geometry, thumbnail size) is the app's, in QSettings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T", str, bool)


@dataclass(frozen=True)
class LibrarySetting(Generic[T]):
    key: str
    default: T
    help: str


KEEPER_ORDER = LibrarySetting(
    "keeper.order",
    "default",
    "the keeper criteria in order, comma-separated (matching/keeper.py); 'default' for all six",
)
RAW_JPEG_REMOVABLE = LibrarySetting(
    "pairs.jpeg_removable",
    False,
    "whether the JPEG of a RAW + JPEG pair counts as a removable duplicate",
)


def to_text(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def from_text(setting: LibrarySetting[T], text: str | None) -> T:
    if text is None:
        return setting.default
    if isinstance(setting.default, bool):
        return text == "true"
    return text


ALL: tuple[LibrarySetting[str] | LibrarySetting[bool], ...] = (KEEPER_ORDER, RAW_JPEG_REMOVABLE)
