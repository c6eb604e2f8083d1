"""Whether a file name says "I am a copy": copy markers and names derived from another's.

Copy tools and people name copies in a few ways: the file manager's "copy" in the user's
language ("IMG_1 - Copy", "IMG_1 copy 2", "Kopie von IMG_1", "IMG_1 副本"), a download's
"(1)", and an editor's suffix ("IMG_1-edited", "IMG_1_small"). The last kind is open-ended
("kodim14_bright"), so a name is also a copy's when another file of the group has exactly
its beginning as its whole name: "kodim14_bright" extends "kodim14".
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

# Whole words (compared in lower case) that mark a copy or an edit.
COPY_WORDS = frozenset(
    {
        # "copy" in the languages whose file managers name copies so
        "copy",
        "kopie",
        "kopia",
        "kopio",
        "kopya",
        "copie",
        "copia",
        "cópia",
        "копия",
        "копія",
        "αντίγραφο",
        # what editors and exporters append
        "edited",
        "edit",
        "small",
        "smaller",
        "resized",
        "scaled",
        "thumb",
        "thumbnail",
        "compressed",
        "export",
        "exported",
        "cropped",
        "retouched",
        "duplicate",
        "backup",
        "converted",
    }
)
# Scripts written without spaces: markers found anywhere in the name.
COPY_SUBSTRINGS = ("副本", "复制", "複製", "コピー", "사본")
_NUMBERED = re.compile(r"\(\d+\)\s*$")  # "photo (1)", "photo(2)"
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_SEPARATORS = " _-.([~+"


def stem(path: str) -> str:
    """The file name without folder and extension, in lower case."""
    return os.path.splitext(os.path.basename(path))[0].lower().strip()


def copy_marker(path: str) -> str:
    """The copy marker in ``path``'s name ("copy", "(1)", "副本"...), or "" when it has none."""
    name = stem(path)
    numbered = _NUMBERED.search(name)
    if numbered:
        return numbered.group(0).strip()
    for word in _WORDS.findall(name):
        if word in COPY_WORDS:
            return word
    return next((mark for mark in COPY_SUBSTRINGS if mark in name), "")


def derived_from(path: str, stems: Iterable[str]) -> str:
    """The other name that ``path``'s name extends ("kodim14" for "kodim14_bright"), or ""."""
    name = stem(path)
    for other in stems:
        extends = other and len(name) > len(other) and name.startswith(other)
        if extends and name[len(other)] in _SEPARATORS:
            return other
    return ""
