"""The engine's facade: what the command line and the desktop app call.

A Library is one database file plus the model it encodes with. Codes are stored under the
model's key, so opening a library with a new model makes the next scan re-encode its photos
instead of mixing codes of two models.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import DecodeError, LibraryError, LibraryReason
from .indexing.scanner import Scanner, ScanSummary
from .indexing.watcher import LibraryChange, Watcher
from .matching.groups import (
    Candidate,
    DuplicateGroup,
    all_similar,
    classify_pairs,
    code_groups,
    exact_groups,
    signature_distance,
    tiers_verified_by_signature,
)
from .matching.hamming import CodeIndex
from .media.decode import decode_photo
from .media.files import is_under, walk_photos
from .media.signature import signature
from .media.signature import to_blob as signature_blob
from .model.codes import from_blobs, words_for
from .model.encoder import Encoder
from .model.meta import TIER_EDITED_COPY, TIER_SIMILAR_SHOT
from .model.preprocess import to_array
from .paths import physical, shown
from .progress import CancelToken, Progress, run_to_end
from .removal.rules import normalise, plan_removal
from .removal.trash import TrashReceipt, carry_out, recover, undo_last
from .storage.catalog import Catalog, PhotoEntry, PhotoFacts
from .storage.journal import Journal
from .storage.salvage import Salvage, read_what_survives, set_aside
from .storage.store import Store

LIBRARY_ENV = "TWINLENS_LIBRARY"


def default_library_path() -> Path:
    """$TWINLENS_LIBRARY, else ``library.twinlens`` in the user's data directory."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("twinlens", appauthor=False) / "library.twinlens"


def bundled_samples() -> Path:
    """The sample photo library, copied beside the default library on first use.

    A copy, not the packaged files: "move to trash" on a sample must never touch the install.
    """
    from importlib.resources import files

    packaged = Path(str(files("twinlens.resources").joinpath("samples")))
    copy = default_library_path().parent / "sample-photos"
    if not copy.is_dir():
        staging = copy.with_name(copy.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(packaged, staging)
        staging.replace(copy)
    return copy


@dataclass(frozen=True)
class Match:
    path: str
    distance: int
    tier: str = ""
    """Verified tier of this photo against the query (exact ... similar_shot), "" if none."""


@dataclass(frozen=True)
class EncodedFile:
    """The code (and pixel signature) of one file, or why there is none."""

    path: str
    code: np.ndarray | None
    error: DecodeError | None
    signature: bytes | None = None
    bits: int = 0


@dataclass(frozen=True)
class LibraryInfo:
    photos: int
    indexed: int
    errors: dict[str, int]
    model: str
    provider: str
    roots: list[str]
    path: str


class Library:
    """One photo library: its database, its model, and the questions it answers."""

    def __init__(
        self, path: Path | str, model_path: Path | None = None, create: bool = True
    ) -> None:
        """Open the library at ``path``; with ``create`` false a missing one is an error."""
        self.path = Path(path)
        self.store = Store(self.path, create=create)
        self.journal = Journal(self.store)
        self.catalog = Catalog(self.store)
        self._model_path = model_path
        self._encoder: Encoder | None = None
        recover(self.store, self.journal)

    @classmethod
    def rebuild(
        cls, path: Path | str, folders: Iterable[Path | str] = (), model_path: Path | None = None
    ) -> tuple[Library, Path, Salvage]:
        """Set a damaged library aside and start a new one at ``path`` with what survives.

        The folders are those the damaged file still names (or ``folders``); scanning them
        again (``Library.scan``) fills the new library. Returns it, where the damaged file
        went, and what was salvaged.
        """
        path = Path(path)
        salvage = read_what_survives(path)
        roots = [physical(f) for f in folders] or salvage.roots
        if not roots:
            raise LibraryError(
                f"{shown(path)} no longer says which folders it had: name them,"
                " `twinlens rebuild FOLDER...`",
                LibraryReason.DAMAGED,
            )
        aside = set_aside(path)
        library = cls(path, model_path)
        library.store.restore(salvage)
        library.add_roots(roots)
        return library, aside, salvage

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def encoder(self) -> Encoder:
        """The model, loaded on first use (it takes a moment and is not needed for listing)."""
        if self._encoder is None:
            self._encoder = Encoder(self._model_path)
        return self._encoder

    # -- indexing ----------------------------------------------------------------------

    def add_roots(self, paths: Iterable[Path | str]) -> list[Path]:
        resolved = [physical(p) for p in paths]
        self.store.add_roots(resolved)
        return resolved

    def roots(self) -> list[Path]:
        return self.store.roots()

    def scan(
        self, paths: Iterable[Path] | None = None, cancel: CancelToken | None = None
    ) -> Generator[Progress, None, ScanSummary]:
        """Index ``paths`` (default: every root), yielding progress; returns the summary."""
        roots = self.roots() if paths is None else [Path(p).resolve() for p in paths]
        scanner = Scanner(self.store, self.encoder)
        return (yield from scanner.scan(roots, cancel))

    def run_scan(self, paths: Iterable[Path] | None = None) -> ScanSummary:
        """Scan to the end without progress reports."""
        return run_to_end(self.scan(paths))

    # -- questions -----------------------------------------------------------------------

    def candidates(
        self, within: Iterable[Path] | None = None
    ) -> tuple[list[Candidate], np.ndarray]:
        """Each distinct indexed content with its files, and its code as (N, W) uint64."""
        rows = self.store.indexed_codes(self.encoder.meta.key)
        prefixes = [str(p.resolve()) for p in within] if within else None
        by_hash: dict[str, list[str]] = defaultdict(list)
        blobs: dict[str, bytes] = {}
        for _, path, content, blob in rows:
            if prefixes and not any(is_under(path, prefix) for prefix in prefixes):
                continue
            by_hash[content].append(path)
            blobs[content] = blob
        facts = self.store.facts(by_hash)
        mtimes = self._mtimes()
        candidates = []
        for content, paths in by_hash.items():
            fact = facts.get(content)
            width, height = (fact.width, fact.height) if fact else (0, 0)
            candidates.append(
                Candidate(
                    hash=content,
                    paths=tuple(sorted(paths)),
                    mtimes=tuple(mtimes.get(p, 0) for p in sorted(paths)),
                    pixels=width * height,
                    width=width,
                    height=height,
                    camera=fact.camera if fact else "",
                    taken_at=fact.taken_at if fact else "",
                    signature=fact.signature if fact else None,
                )
            )
        words = words_for(self.encoder.meta.bits)
        codes = from_blobs([blobs[c.hash] for c in candidates], words)
        return candidates, codes

    def _mtimes(self) -> dict[str, int]:
        return {r.path: r.mtime_ns for r in self.store.indexed_photos()}

    def duplicate_groups(
        self, within: Iterable[Path] | None = None, include_similar: bool = False
    ) -> list[DuplicateGroup]:
        """Exact, same-photo and edited-copy groups; similar shots only when asked, apart."""
        meta = self.encoder.meta
        candidates, codes = self.candidates(within)
        groups, keepers = code_groups(
            candidates,
            codes,
            meta.bits,
            meta.radius(TIER_EDITED_COPY),
            tiers_verified_by_signature(candidates, meta.tier_radii),
        )
        grouped_paths = {m.path for g in groups for m in g.members}
        # Byte copies inside a code group are shown there; lone byte copies get the exact tier.
        exact = [g for g in exact_groups(candidates) if g.keeper not in grouped_paths]
        dismissed = self.store.dismissed()
        result = [g for g in exact + groups if not _is_dismissed(g, candidates, dismissed)]
        if include_similar:
            result += self._similar_groups(candidates, codes, set(keepers), grouped_paths)
        return result

    def _similar_groups(
        self,
        candidates: list[Candidate],
        codes: np.ndarray,
        keepers: set[int],
        grouped_paths: set[str],
    ) -> list[DuplicateGroup]:
        """Similar shots among one representative per duplicate group plus the loners."""
        meta = self.encoder.meta
        chosen = [
            i
            for i, c in enumerate(candidates)
            if i in keepers or not any(p in grouped_paths for p in c.paths)
        ]
        subset = [candidates[i] for i in chosen]
        groups, _ = code_groups(
            subset, codes[chosen], meta.bits, meta.radius(TIER_SIMILAR_SHOT), all_similar
        )
        return groups

    def similar(self, image: Path, top: int = 10) -> list[Match]:
        """The ``top`` nearest library photos to any image file (not itself), nearest first."""
        image = Path(image).resolve()
        first = next(self.encode_files([image]))
        if first.error is not None:
            raise first.error
        assert first.code is not None
        return self.nearest(first.code, top, exclude=str(image), signature=first.signature)

    def similar_to_image(self, image: Image.Image, top: int = 10) -> list[Match]:
        """The ``top`` nearest library photos to an image already in memory (pasted, dropped)."""
        meta = self.encoder.meta
        pixels = to_array(image.convert("RGB"), meta.preprocess)
        code = self.encoder.encode_array(pixels[np.newaxis]).codes[0]
        return self.nearest(code, top, signature=signature_blob(signature(image)))

    def nearest(
        self,
        code: np.ndarray,
        top: int,
        exclude: str | None = None,
        signature: bytes | None = None,
    ) -> list[Match]:
        """The ``top`` library photos nearest to a packed code, ties by library order.

        With the query's pixel ``signature``, each match carries its verified tier.
        """
        rows = self.store.indexed_codes(self.encoder.meta.key)
        if exclude is not None:
            rows = [r for r in rows if r[1] != exclude]
        codes = from_blobs([r[3] for r in rows], words_for(self.encoder.meta.bits))
        indices, dists = CodeIndex(codes).top_k(code, top)
        chosen = [rows[i] for i in indices.tolist()]
        facts = self.store.facts({r[2] for r in chosen})
        stored = [facts[r[2]].signature if r[2] in facts else None for r in chosen]
        sig = signature_distance([signature] * len(chosen), stored)
        tiers = classify_pairs(dists, sig, self.encoder.meta.tier_radii)
        return [
            Match(r[1], int(d), t) for r, d, t in zip(chosen, dists.tolist(), tiers, strict=True)
        ]

    def watch(self, on_change: Callable[[LibraryChange], None], settle: float = 1.0) -> Watcher:
        """Reconcile with the disk, then follow the roots until ``Watcher.stop()``.

        ``on_change`` is called from the watcher's thread after each synced batch.
        """
        scanner = Scanner(self.store, self.encoder)
        return Watcher(self.store, scanner, self.roots(), on_change, settle).start()

    # -- removal and review --------------------------------------------------------------

    def trash(self, paths: Iterable[Path | str]) -> TrashReceipt:
        """Move duplicates to the system trash, refusing unsafe removals (removal/rules.py)."""
        self.store.check_pages()  # a removal writes: refuse a damaged library before any check
        wanted = normalise(list(paths))
        plan = plan_removal(self.store, wanted, self.roots(), self.duplicate_groups())
        return carry_out(self.journal, plan)

    def undo(self) -> list[str]:
        """Restore the last removal step; returns the restored paths."""
        self.store.check_pages()
        return undo_last(self.journal)

    def can_undo(self) -> bool:
        return self.journal.last_step() is not None

    def dismiss_group(self, paths: Iterable[Path | str]) -> None:
        """Remember that these photos are not duplicates, so their group does not come back."""
        rows = [self.store.photo_by_path(str(Path(p).resolve())) for p in paths]
        hashes = sorted({r.hash for r in rows if r is not None and r.hash})
        if len(hashes) > 1:
            self.store.dismiss(hashes)

    def encode_files(self, paths: Iterable[Path]) -> Iterator[EncodedFile]:
        """Codes of image files (folders are walked), in batches, without touching the library."""
        return _encode_files(self.encoder, paths)

    def remove_root(self, root: Path | str) -> int:
        """Stop tracking a folder; returns how many photo rows were forgotten. Touches no file."""
        return self.store.remove_root(Path(root))

    def photos(
        self, sort: str = "date", offset: int = 0, limit: int | None = None
    ) -> list[PhotoEntry]:
        """The library's files for browsing, in ``sort`` order (storage/catalog.py)."""
        return self.catalog.list_photos(sort, offset, limit)

    def failed_photos(self) -> list[PhotoEntry]:
        return self.catalog.failed_photos()

    def photo_facts(self, path: str) -> PhotoFacts | None:
        return self.catalog.photo_facts(path)

    def errors(self) -> list[tuple[str, str, str]]:
        return [(r.path, r.reason or "", r.detail or "") for r in self.store.error_photos()]

    def info(self) -> LibraryInfo:
        photos, indexed, errors = self.store.counts(self.encoder.meta.key)
        return LibraryInfo(
            photos=photos,
            indexed=indexed,
            errors=errors,
            model=self.encoder.meta.key,
            provider=self.encoder.provider,
            roots=[str(p) for p in self.roots()],
            path=str(self.path),
        )


def encode_files(
    paths: Iterable[Path], model_path: Path | None = None, batch: int = 32
) -> Iterator[EncodedFile]:
    """Codes of image files (folders are walked), in batches, without any library."""
    return _encode_files(Encoder(model_path), paths, batch)


def _encode_files(
    encoder: Encoder, paths: Iterable[Path], batch: int = 32
) -> Iterator[EncodedFile]:
    """Decode on a thread pool and encode in batches; one EncodedFile per photo, in order."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(stat.path for stat in walk_photos([path]))
        else:
            files.append(path)
    meta = encoder.meta

    def prepare(path: Path) -> tuple[np.ndarray, bytes] | DecodeError:
        try:
            decoded = decode_photo(path, min_size=meta.preprocess.height)
        except DecodeError as exc:
            return exc
        return to_array(decoded.image, meta.preprocess), signature_blob(signature(decoded.image))

    with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
        for start in range(0, len(files), batch):
            chunk = files[start : start + batch]
            prepared = list(pool.map(prepare, chunk))
            arrays = [p[0] for p in prepared if not isinstance(p, DecodeError)]
            codes = iter(encoder.encode_array(np.stack(arrays)).codes if arrays else [])
            for path, item in zip(chunk, prepared, strict=True):
                where = str(path.absolute())
                if isinstance(item, DecodeError):
                    yield EncodedFile(where, None, item, bits=meta.bits)
                else:
                    yield EncodedFile(where, next(codes), None, item[1], bits=meta.bits)


def _is_dismissed(
    group: DuplicateGroup, candidates: list[Candidate], dismissed: list[frozenset[str]]
) -> bool:
    """A group the user marked "not a duplicate" stays hidden while it holds nothing new."""
    if not dismissed:
        return False
    by_path = {p: c.hash for c in candidates for p in c.paths}
    hashes = {by_path[m.path] for m in group.members}
    return any(hashes <= marked for marked in dismissed)
