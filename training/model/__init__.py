"""Building blocks of the twin-bottleneck hashing models (one module per part)."""
