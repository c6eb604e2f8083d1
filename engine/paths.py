"""File paths as the disk has them: lossless in storage and JSON, safe on a terminal.

A path is kept as a Python ``str`` decoded the way the operating system does it
(``os.fsdecode``: on POSIX, a byte that is not valid UTF-8 becomes a lone surrogate
U+DC80-U+DCFF, PEP 383), so ``os.fsencode`` gives back the exact bytes on disk. Names like
that are normal on Linux (old cameras, Windows archives, Latin-1 drives), and so are names
with control characters; the two ways they break a tool are a crash when the name is
encoded as UTF-8 (SQLite, a strict terminal) and a terminal that obeys escape sequences in
a printed name. This module is the one place that handles both (issue 10).
"""

from __future__ import annotations

import base64
import os
import unicodedata
from pathlib import Path

PathLike = str | os.PathLike[str]

# Bidirectional controls can make a name read backwards ("gpj.exe" shown as "exe.jpg").
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def to_bytes(path: PathLike) -> bytes:
    """The exact bytes of ``path`` on disk (how the library stores it)."""
    return os.fsencode(os.fspath(path))


def from_bytes(raw: bytes | str) -> str:
    """A stored path back as the ``str`` the file system functions accept."""
    return raw if isinstance(raw, str) else os.fsdecode(raw)


def is_clean_text(path: PathLike) -> bool:
    """Whether ``path`` is valid Unicode with no undecodable bytes (no lone surrogates)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(path: PathLike) -> str:
    """``path`` for a person to read: printable, one line, never an escape sequence.

    Undecodable bytes read ``\\xff``, control characters ``\\n``, ``\\x1b`` and so on,
    and bidirectional overrides ``\\u202e``; everything else, accents, CJK and backslashes
    included, is shown as it is. Not reversible: use :func:`json_fields` where exactness
    matters.
    """
    text = os.fspath(path)
    if text.isprintable() and is_clean_text(text):
        return text
    return "".join(_shown_char(char) for char in text)


def _shown_char(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def json_fields(path: PathLike, key: str = "path") -> dict[str, str]:
    """The JSON form of a path: ``{key: text}``, plus ``{key}_bytes`` when it is not UTF-8.

    ``text`` keeps every undecodable byte as a lone surrogate (PEP 383), written by
    ``json.dumps`` as ``\\udcXX``: Python's ``os.fsencode(text)`` returns the exact bytes.
    For other tools ``{key}_bytes`` holds the exact bytes in base64 (RFC 4648).
    """
    text = os.fspath(path)
    fields = {key: text}
    if not is_clean_text(text):
        fields[f"{key}_bytes"] = base64.b64encode(to_bytes(text)).decode("ascii")
    return fields


def entry_location(path: PathLike) -> str:
    """Where the directory entry ``path`` names lies, without following the entry itself.

    Folders above it are resolved (a path through a linked folder names the real place),
    ``..`` is taken physically, and the last part is kept as it is: if it is a symbolic
    link, the result names the link, never its target. Relative paths start at the
    current folder.
    """
    text = os.path.join(os.getcwd(), os.path.expanduser(os.fspath(path)))
    parent, name = os.path.split(text.rstrip(os.sep) or os.sep)
    if name in ("", ".", ".."):
        return os.path.realpath(text)
    return os.path.join(os.path.realpath(parent), name)


def physical(path: PathLike) -> Path:
    """A folder or file given by the user, resolved to the place it really is."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))
