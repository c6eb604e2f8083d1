"""UI state remembered between runs (QSettings): never library data, which lives in the library.

Each setting is declared once with its type and default. Tests point QSettings at a temporary
folder (see tests/desktop/conftest.py), so they never read or write a person's real settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from PySide6.QtCore import QByteArray, QSettings

T = TypeVar("T")

ORGANIZATION = "Twinlens"
APPLICATION = "Twinlens"


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T


LAST_LIBRARY = Setting("library/last", "")
THUMBNAIL_SIZE = Setting("view/thumbnail_size", 160)
SORT = Setting("view/sort", "date")
GEOMETRY = Setting("window/geometry", QByteArray())
WINDOW_STATE = Setting("window/state", QByteArray())
LAST_FOLDER = Setting("dialogs/last_folder", "")


class UiSettings:
    """Typed access to the app's QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        # The default format, not QSettings(org, app)'s native one: tests and the screenshot
        # script redirect the default format's folder, and must never reach the real file.
        self.store = store or QSettings(
            QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
        )

    def get(self, setting: Setting[T]) -> T:
        value = self.store.value(setting.key, setting.default)
        if value is None:
            return setting.default
        kind: Any = type(setting.default)
        if kind in (int, str) and not isinstance(value, kind):
            try:
                return cast(T, kind(value))
            except (TypeError, ValueError):
                return setting.default
        return cast(T, value)

    def set(self, setting: Setting[T], value: T) -> None:
        self.store.setValue(setting.key, value)

    def sync(self) -> None:
        self.store.sync()
