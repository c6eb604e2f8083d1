"""Small DNG files made at test time (tifffile): a Bayer mosaic, optionally a preview.

A DNG is a TIFF whose first IFD carries the DNG tags; with a preview, that IFD holds the
camera's RGB rendering and a SubIFD holds the sensor mosaic, as cameras write it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_dng(
    path: Path,
    picture: Image.Image,
    preview: Image.Image | None = None,
    orientation: int = 1,
    make: str = "Twinlens",
    model: str = "Test DNG",
) -> Path:
    """A DNG whose mosaic samples ``picture`` (RGGB, 12 bits) at its size."""
    tifffile = pytest.importorskip("tifffile", reason="writing test DNG files needs tifffile")
    rgb = np.asarray(picture.convert("RGB"), dtype=np.uint16) * 16  # 8 -> 12 bits
    height, width = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    mosaic = np.empty((height, width), np.uint16)
    mosaic[0::2, 0::2] = rgb[0:height:2, 0:width:2, 0]
    mosaic[0::2, 1::2] = rgb[0:height:2, 1:width:2, 1]
    mosaic[1::2, 0::2] = rgb[1:height:2, 0:width:2, 1]
    mosaic[1::2, 1::2] = rgb[1:height:2, 1:width:2, 2]
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    dng_tags = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50708, "s", 0, f"{make} {model}", True),  # UniqueCameraModel
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (274, "H", 1, (orientation,), True),
        (50721, "2i", 9, identity, True),  # ColorMatrix1
        (50778, "H", 1, (21,), True),  # CalibrationIlluminant1: D65
    ]
    mosaic_tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50714, "H", 1, (0,), True),  # BlackLevel
        (50717, "H", 1, (4095,), True),  # WhiteLevel
    ]
    with tifffile.TiffWriter(path) as tif:
        if preview is None:
            tif.write(mosaic, photometric=32803, subfiletype=0, extratags=dng_tags + mosaic_tags)
        else:
            shown = np.asarray(preview.convert("RGB"))
            tif.write(shown, photometric="rgb", subfiletype=1, subifds=1, extratags=dng_tags)
            tif.write(mosaic, photometric=32803, subfiletype=0, extratags=mosaic_tags)
    return path
