"""Moving files to the platform's trash and back.

send2trash moves a file to the system trash but cannot put it back, so this module also finds
where the file went: on Linux and other freedesktop systems by reading the ``.trashinfo``
records the trash specification defines, on macOS in ``~/.Trash``. Where the platform gives no
way to find the file (Windows' Recycle Bin), ``restore`` raises UndoFailed with what to do.
"""

from __future__ import annotations

import configparser
import errno
import hashlib
import os
import shutil
import sys
from configparser import ConfigParser
from pathlib import Path
from urllib.parse import unquote_to_bytes

from twinlens.engine.errors import UndoFailed
from twinlens.engine.paths import shown


def send_to_trash(path: Path) -> str:
    """Move ``path`` to the system trash; returns where it went ("" if the platform hides it)."""
    from send2trash import send2trash

    before = _trash_entries(path)
    try:
        send2trash(str(path))
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG or sys.platform in ("darwin", "win32"):
            raise
        return str(_trash_under_a_shorter_name(path))
    after = _trash_entries(path) - before
    return str(max(after, key=lambda p: p.lstat().st_mtime_ns)) if after else ""


def _trash_under_a_shorter_name(path: Path) -> Path:
    """A freedesktop trash entry for a name too long to take ``.trashinfo`` after it.

    The trash specification lets the entry have any unique name: its ``.trashinfo`` records
    the original path, which is what undo and every file manager restore to. Uses
    send2trash's own helpers to pick the trash folder and write the record.
    """
    import send2trash.plat_other as other

    source = os.fsencode(path)
    if other.get_dev(source) == other.get_dev(os.path.realpath(os.path.expanduser(b"~"))):
        topdir, trash = other.XDG_DATA_HOME, other.HOMETRASH_B
    else:
        topdir = other.find_mount_point(source)
        trash = other.find_ext_volume_trash(topdir)
    files, infos = os.path.join(trash, other.FILES_DIR), os.path.join(trash, other.INFO_DIR)
    other.check_create(files)
    other.check_create(infos)
    stem, suffix = os.path.splitext(os.path.basename(source))
    tag = hashlib.blake2b(source, digest_size=6).hexdigest().encode()
    for attempt in range(1000):
        name = stem[:160] + b"~" + tag + (b"-%d" % attempt if attempt else b"") + suffix[:16]
        info = os.path.join(infos, name + other.INFO_SUFFIX)
        try:
            handle = os.open(info, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w") as record:
            record.write(other.info_for(source, topdir))
        try:
            os.rename(source, os.path.join(files, name))
        except OSError:
            os.unlink(info)
            raise
        return Path(os.fsdecode(os.path.join(files, name)))
    raise OSError(errno.EEXIST, f"no free name in the trash for {shown(path)}")


def find_in_trash(original: Path) -> str:
    """Where a file trashed from ``original`` lies now (newest match), or "" if unknown."""
    entries = _trash_entries(original)
    return str(max(entries, key=lambda p: p.stat().st_mtime_ns)) if entries else ""


def restore_from_trash(location: str, target: Path) -> Path:
    """Move a trashed file back to ``target`` (chosen by :func:`free_name`); returns it."""
    name = shown(target.name)
    if not location:
        raise UndoFailed(
            f"this system does not say where {name} went: restore it from the"
            " Recycle Bin / Trash yourself"
        )
    trashed = Path(location)
    if not os.path.lexists(trashed):
        raise UndoFailed(f"{name} is no longer in the trash (was the trash emptied?)")
    if os.path.lexists(target):
        raise UndoFailed(f"{name} cannot go back: another file took its place meanwhile")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(trashed), str(target))
    info = _info_file(trashed)
    if info is not None and info.exists():
        info.unlink()
    return target


def free_name(path: Path) -> Path:
    """``path`` if free, else ``name (restored N).ext`` so nothing is ever overwritten."""
    if not os.path.lexists(path):
        return path
    for number in range(1, 10_000):
        candidate = path.with_name(f"{path.stem} (restored {number}){path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise UndoFailed(f"no free name to restore {path}")


# -- where trashed files go ----------------------------------------------------------------


def _trash_entries(path: Path) -> set[Path]:
    """Files in the trash folders that could receive ``path`` and record it as its origin."""
    if sys.platform == "darwin":
        trash = Path.home() / ".Trash"
        return set(trash.glob(f"{path.stem}*{path.suffix}")) if trash.is_dir() else set()
    if sys.platform == "win32":
        return set()
    found = set()
    for files_dir in _freedesktop_trash_dirs(path):
        info_dir = files_dir.parent / "info"
        if not info_dir.is_dir():
            continue
        for info in info_dir.glob("*.trashinfo"):
            if _info_points_to(info, path, files_dir.parent):
                entry = files_dir / info.name[: -len(".trashinfo")]
                if entry.exists():
                    found.add(entry)
    return found


def _freedesktop_trash_dirs(path: Path) -> list[Path]:
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    dirs = [data_home / "Trash" / "files"]
    try:
        import send2trash.plat_other as other

        dirs.append(Path(os.fsdecode(other.HOMETRASH_B)) / "files")
    except (ImportError, AttributeError):
        pass
    top = _mount_point(path)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    dirs += [top / ".Trash" / str(uid) / "files", top / f".Trash-{uid}" / "files"]
    return list(dict.fromkeys(dirs))


def _mount_point(path: Path) -> Path:
    path = path.resolve().parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _info_points_to(info: Path, path: Path, trash_root: Path) -> bool:
    """Whether a ``.trashinfo`` record says its file came from ``path``."""
    parser = ConfigParser(interpolation=None)
    try:
        parser.read(info, encoding="utf-8")
        recorded = os.fsdecode(unquote_to_bytes(parser.get("Trash Info", "Path")))
    except (OSError, UnicodeDecodeError, configparser.Error):  # a foreign record: not ours
        return False
    if not os.path.isabs(recorded):  # relative to the volume's top directory
        recorded = str(_topdir(trash_root) / recorded)
    return os.path.normpath(recorded) in (str(path), str(path.resolve()))


def _topdir(trash_root: Path) -> Path:
    """The volume top directory of a ``$top/.Trash/$uid`` or ``$top/.Trash-$uid`` trash."""
    if trash_root.name.startswith(".Trash-"):
        return trash_root.parent
    if trash_root.parent.name == ".Trash":
        return trash_root.parent.parent
    return Path("/")


def _info_file(trashed: Path) -> Path | None:
    if sys.platform in ("darwin", "win32"):
        return None
    return trashed.parent.parent / "info" / f"{trashed.name}.trashinfo"
