"""Rebuild the bundled sample library from the Kodak suite (free to redistribute).

Run from the repository root: ``python resources/make_samples.py [../shared/data/photos/kodak]``.
The 24 Kodak photos become JPEGs, and a few get edited copies (resized, recompressed, cropped,
rotated by EXIF tag and by a few degrees, brightened, a byte copy) so a first run of Twinlens
has duplicates to show. Deterministic: the same input gives the same files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image, ImageEnhance

HERE = Path(__file__).resolve().parent
OUT = HERE / "samples"
QUALITY = 88


def main(source: Path) -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "edits").mkdir(parents=True)
    for png in sorted(source.glob("kodim*.png")):
        with Image.open(png) as image:
            # kodim22's copy below is "rotated by EXIF tag" by a tool that keeps the camera's
            # metadata, so the original carries that metadata too: a copy cannot invent it.
            exif = _camera_exif() if png.stem == "kodim22" else b""
            image.convert("RGB").save(
                OUT / f"{png.stem}.jpg", quality=QUALITY, optimize=True, exif=exif
            )
    edits = OUT / "edits"
    _edit("kodim03", edits / "kodim03_small.jpg", lambda im: im.resize((384, 256), Image.LANCZOS))
    _edit("kodim05", edits / "kodim05_q50.jpg", lambda im: im, quality=50)
    _edit("kodim07", edits / "kodim07_crop.jpg", lambda im: im.crop((38, 26, 730, 486)))
    _edit(
        "kodim14", edits / "kodim14_bright.jpg", lambda im: ImageEnhance.Brightness(im).enhance(1.2)
    )
    _edit(
        "kodim19", edits / "kodim19_tilt.jpg", lambda im: im.rotate(3, Image.BICUBIC, expand=False)
    )
    _edit("kodim23", edits / "kodim23.png", lambda im: im, fmt="PNG")
    _exif_rotated("kodim22", edits / "kodim22_exif_rotated.jpg")
    shutil.copyfile(OUT / "kodim08.jpg", edits / "kodim08 (copy).jpg")
    (OUT / "LICENSE.txt").write_text(
        "Kodak Lossless True Color Image Suite (PhotoCD PCD0992), Eastman Kodak Company,\n"
        "released for unrestricted use. Edited copies made by resources/make_samples.py.\n"
    )
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{sum(1 for _ in OUT.rglob('*.*'))} files, {total / 1e6:.1f} MB in {OUT}")


def _edit(stem: str, target: Path, change, quality: int = QUALITY, fmt: str = "JPEG") -> None:
    with Image.open(OUT / f"{stem}.jpg") as image:
        edited = change(image.convert("RGB"))
        if fmt == "JPEG":
            edited.save(target, "JPEG", quality=quality)
        else:
            edited.save(target, fmt)


def _camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Kodak"
    exif[0x0110] = "Twinlens sample"
    return exif.tobytes()


def _exif_rotated(stem: str, target: Path) -> None:
    """Pixels stored sideways with an Orientation tag: what cameras write when held upright."""
    with Image.open(OUT / f"{stem}.jpg") as image:
        sideways = image.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 CW to display: undoes the ROTATE_90 (counter-clockwise)
        exif[0x010F] = "Kodak"
        exif[0x0110] = "Twinlens sample"
        sideways.save(target, "JPEG", quality=QUALITY, exif=exif)


if __name__ == "__main__":
    default = HERE.parent.parent / "shared" / "data" / "photos" / "kodak"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
