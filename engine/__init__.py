"""Twinlens's headless core: index photo folders, find duplicates, search by example.

The command line and the desktop app import this package and nothing below it (an
import-linter contract in pyproject.toml): ``Library`` is the engine, and the names here are
the values it hands out. Nothing heavy happens at import: the model and onnxruntime load on
first use.

Layers, highest first (each imports only those below it; import-linter checks the arrows):
``cli`` -> ``library`` -> ``cluster`` -> ``indexing`` | ``removal`` -> ``matching`` ->
``model`` | ``media`` | ``storage`` -> ``config`` | ``errors`` | ``paths`` | ``progress`` |
``tiers``.
"""

from .cluster.importer import BadRecord, ImportSummary, PathMap, ShardRefused, import_shards
from .cluster.scan import ClusterOptions, ClusterScanSummary, cluster_scan
from .config import EngineConfig, default_cache_dir, default_library_path
from .errors import (
    BadChoice,
    DecodeError,
    DecodeReason,
    LibraryError,
    LibraryReason,
    LibraryTooNew,
    ModelError,
    NothingToUndo,
    TrashRefused,
    TwinlensError,
    UndoFailed,
)
from .indexing.scanner import ScanError, ScanSummary
from .indexing.watcher import LibraryChange, Watcher
from .library import (
    BatchReceipt,
    EncodedFile,
    Library,
    LibraryInfo,
    encode_files,
)
from .matching.groups import DuplicateGroup, Member
from .matching.keeper import CRITERIA_WORDS, DEFAULT_ORDER
from .matching.search import NO_MATCH, ResultGroup, SearchAnswer
from .media.files import is_photo_name
from .media.samples import bundled_samples
from .media.thumbnails import Thumbnails
from .model.codes import to_hex
from .paths import json_fields, shown
from .progress import CancelToken, Progress, run_to_end
from .removal.trash import TrashReceipt
from .storage.catalog import SORTS, PhotoEntry, PhotoFacts, sort_key
from .storage.settings import ALL as LIBRARY_SETTINGS
from .tiers import (
    TIER_EDITED_COPY,
    TIER_EXACT,
    TIER_SAME_PHOTO,
    TIER_SIMILAR_SHOT,
    TIERS,
    Tier,
    is_duplicate,
    tier,
)

__all__ = [
    "CRITERIA_WORDS",
    "DEFAULT_ORDER",
    "LIBRARY_SETTINGS",
    "NO_MATCH",
    "SORTS",
    "TIERS",
    "TIER_EDITED_COPY",
    "TIER_EXACT",
    "TIER_SAME_PHOTO",
    "TIER_SIMILAR_SHOT",
    "BadChoice",
    "BadRecord",
    "BatchReceipt",
    "CancelToken",
    "ClusterOptions",
    "ClusterScanSummary",
    "DecodeError",
    "DecodeReason",
    "DuplicateGroup",
    "EncodedFile",
    "EngineConfig",
    "ImportSummary",
    "Library",
    "LibraryChange",
    "LibraryError",
    "LibraryInfo",
    "LibraryReason",
    "LibraryTooNew",
    "Member",
    "ModelError",
    "NothingToUndo",
    "PathMap",
    "PhotoEntry",
    "PhotoFacts",
    "Progress",
    "ResultGroup",
    "ScanError",
    "ScanSummary",
    "SearchAnswer",
    "ShardRefused",
    "Thumbnails",
    "Tier",
    "TrashReceipt",
    "TrashRefused",
    "TwinlensError",
    "UndoFailed",
    "Watcher",
    "bundled_samples",
    "cluster_scan",
    "default_cache_dir",
    "default_library_path",
    "encode_files",
    "import_shards",
    "is_duplicate",
    "is_photo_name",
    "json_fields",
    "run_to_end",
    "shown",
    "sort_key",
    "tier",
    "to_hex",
]
