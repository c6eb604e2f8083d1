"""Bit packing: MSB-first words, blobs and hex agree with each other and with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from twinlens.engine.model import codes


@pytest.mark.parametrize("bits", [1, 16, 63, 64, 65, 100, 128])
def test_pack_unpack_round_trip(bits: int) -> None:
    rng = np.random.default_rng(bits)
    raw = rng.integers(0, 2, (50, bits), dtype=np.uint8)
    packed = codes.pack_bits(raw)
    assert packed.shape == (50, codes.words_for(bits))
    assert np.array_equal(codes.unpack_bits(packed, bits), raw)


def test_first_bit_is_most_significant() -> None:
    raw = np.zeros((1, 64), dtype=np.uint8)
    raw[0, 0] = 1
    raw[0, 63] = 1
    packed = codes.pack_bits(raw)
    assert int(packed[0, 0]) == (1 << 63) | 1
    assert codes.to_hex(packed[0], 64) == "8000000000000001"


def test_hex_of_short_code_reads_like_the_bit_string() -> None:
    raw = np.array([[1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]], dtype=np.uint8)
    assert codes.to_hex(codes.pack_bits(raw)[0], 12) == "b1f"


def test_blob_round_trip() -> None:
    rng = np.random.default_rng(0)
    packed = codes.pack_bits(rng.integers(0, 2, (7, 100), dtype=np.uint8))
    blobs = [codes.to_blob(row) for row in packed]
    assert np.array_equal(codes.from_blobs(blobs, 2), packed)
    assert codes.from_blobs([], 2).shape == (0, 2)
