"""The few EXIF facts the keeper rule reads: the camera and the capture time."""

from __future__ import annotations

from PIL import ExifTags, Image


def camera_of(exif: Image.Exif) -> str:
    """ "Make Model" from EXIF, without the make twice ("Canon Canon EOS 5D")."""
    make = str(exif.get(ExifTags.Base.Make, "")).strip("\x00 ")
    model = str(exif.get(ExifTags.Base.Model, "")).strip("\x00 ")
    if model.startswith(make):
        make = ""
    return " ".join(part for part in (make, model) if part)


def taken_at_of(exif: Image.Exif) -> str:
    """The capture time as EXIF writes it ("YYYY:MM:DD HH:MM:SS"), or ""."""
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except (KeyError, ValueError, OSError):
        sub = {}
    value = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime, "")
    return str(value).strip("\x00 ")
