"""Binary codes: bits <-> packed uint64 words <-> SQLite blobs and hex strings.

One packing convention for the whole project: bit 0 of a code is its most significant bit,
and codes are stored as big-endian uint64 words, so the hex form reads like the bit string.
"""

from __future__ import annotations

import numpy as np

WORD_BITS = 64


def words_for(bits: int) -> int:
    """Number of uint64 words that hold a code of ``bits`` bits."""
    return (bits + WORD_BITS - 1) // WORD_BITS


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack an (N, B) array of 0/1 values into (N, words_for(B)) uint64 words, MSB first."""
    bits = np.asarray(bits)
    if bits.ndim != 2:
        raise ValueError(f"expected an (N, bits) array, got shape {bits.shape}")
    n, nbits = bits.shape
    padded = np.zeros((n, words_for(nbits) * WORD_BITS), dtype=np.uint8)
    padded[:, :nbits] = bits != 0
    as_bytes = np.packbits(padded, axis=1, bitorder="big")
    return as_bytes.view(">u8").astype(np.uint64).reshape(n, -1)


def unpack_bits(words: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: (N, W) uint64 words to (N, bits) uint8 0/1."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    as_bytes = words.astype(">u8").view(np.uint8).reshape(words.shape[0], -1)
    return np.unpackbits(as_bytes, axis=1, bitorder="big")[:, :bits]


def to_blob(words: np.ndarray) -> bytes:
    """One packed code (W,) as bytes for SQLite."""
    return np.asarray(words, dtype=np.uint64).astype(">u8").tobytes()


def from_blobs(blobs: list[bytes], n_words: int) -> np.ndarray:
    """Many SQLite blobs back to an (N, W) uint64 array."""
    if not blobs:
        return np.zeros((0, n_words), dtype=np.uint64)
    raw = np.frombuffer(b"".join(blobs), dtype=">u8").astype(np.uint64)
    return raw.reshape(len(blobs), n_words)


def to_hex(words: np.ndarray, bits: int) -> str:
    """Hex string of one code, most significant bit first, ``ceil(bits / 4)`` digits."""
    value = 0
    for word in np.asarray(words, dtype=np.uint64):
        value = (value << WORD_BITS) | int(word)
    value >>= words_for(bits) * WORD_BITS - bits
    return format(value, f"0{(bits + 3) // 4}x")
