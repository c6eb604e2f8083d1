"""Every tunable of the engine in one typed place, read from the environment in one place.

A Library is built with an EngineConfig (``EngineConfig.from_env()`` by default) and hands
the parts on to what it builds (store, pipeline, scanner, watcher, encoder), so no module
reads a constant of another or an environment variable of its own.

Environment variables (all optional):
- ``TWINLENS_LIBRARY``: the default library file;
- ``TWINLENS_MODEL``: a model file to use instead of the shipped one;
- ``TWINLENS_CACHE``: the thumbnail cache folder;
- ``TWINLENS_CPU_ONLY=1``: never try the CUDA provider.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

LIBRARY_ENV = "TWINLENS_LIBRARY"
MODEL_ENV = "TWINLENS_MODEL"
CACHE_ENV = "TWINLENS_CACHE"
CPU_ONLY_ENV = "TWINLENS_CPU_ONLY"


@dataclass(frozen=True)
class DecodeLimits:
    """How far a decode may go before a file is refused as ``too_large``."""

    max_pixels: int = 250_000_000
    """Largest photo decoded (about 16k x 16k): bigger is a decompression bomb."""
    memory_budget: int = 512 << 20
    """Most bytes one full-size decode may take (JPEGs decode reduced and rarely need it)."""
    working_side: int = 2048
    """Huge images are reduced (in their own mode) to about this before anything else."""


@dataclass(frozen=True)
class EngineConfig:
    """The engine's settings. Frozen: derive variants with :meth:`with_`."""

    library_path: Path | None = None
    """The default library (``TWINLENS_LIBRARY``); None: one in the user's data folder."""
    model_path: Path | None = None
    """A model file instead of the shipped one (``TWINLENS_MODEL``)."""
    cache_dir: Path | None = None
    """Thumbnail cache (``TWINLENS_CACHE``); None: the user's cache folder."""
    cpu_only: bool = False
    """Never try onnxruntime's CUDA provider (``TWINLENS_CPU_ONLY=1``)."""
    batch_size: int = 32
    """Photos per inference batch and per library transaction."""
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    """Decode threads (Pillow releases the GIL) beside inference."""
    inference_threads: int = 0
    """onnxruntime intra-op threads; 0: one per core."""
    read_whole_limit: int = 64 << 20
    """Files up to this size are read once for both their hash and their pixels."""
    decode: DecodeLimits = field(default_factory=DecodeLimits)
    busy_timeout_s: float = 5.0
    """How long a write waits for another process's write before the library is 'locked'."""
    watch_settle_s: float = 1.0
    """A changed file is read once it has been quiet (same size and time) this long."""
    watch_folder_batch: int = 20
    """This many changed files in one folder: list the folder instead of each file."""
    watch_retry_recent_s: float = 30.0
    """A file written this recently that fails to decode is retried (still being copied)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineConfig:
        """The defaults, with the environment variables in the module docstring applied."""
        env = os.environ if environ is None else environ

        def path(name: str) -> Path | None:
            value = env.get(name)
            return Path(value).expanduser() if value else None

        return cls(
            library_path=path(LIBRARY_ENV),
            model_path=path(MODEL_ENV),
            cache_dir=path(CACHE_ENV),
            cpu_only=env.get(CPU_ONLY_ENV) == "1",
        )

    def with_(self, **changes: object) -> EngineConfig:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_library_path(config: EngineConfig | None = None) -> Path:
    """$TWINLENS_LIBRARY, else ``library.twinlens`` in the user's data directory."""
    config = config or EngineConfig.from_env()
    if config.library_path is not None:
        return config.library_path
    from platformdirs import user_data_path

    return user_data_path("twinlens", appauthor=False) / "library.twinlens"


def default_cache_dir(config: EngineConfig | None = None) -> Path:
    """$TWINLENS_CACHE, else the user's cache folder for Twinlens."""
    config = config or EngineConfig.from_env()
    if config.cache_dir is not None:
        return config.cache_dir
    from platformdirs import user_cache_path

    return user_cache_path("twinlens", appauthor=False)
