"""The engine's facade: the only object the command line and the desktop app talk to.

A Library is one database file plus the model it encodes with. Codes are stored under the
model's key, so opening a library with a new model makes the next scan re-encode its photos
instead of mixing codes of two models. Every question (duplicates, search by example,
listings) and every change (scan, watch, trash, undo) goes through here.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from .config import EngineConfig
from .errors import BadChoice, DecodeError, LibraryError, LibraryReason
from .indexing.pipeline import Pipeline, Prepared
from .indexing.scanner import Scanner, ScanSummary
from .indexing.watcher import LibraryChange, Watcher
from .kept_pairs import signature_candidates
from .kept_pairs import within as pairs_within
from .matching.collection import Collection
from .matching.content import Candidate
from .matching.duplicates import (
    Evidence,
    Report,
    find_duplicates,
    similar_groups,
    without_dismissed,
)
from .matching.evidence import grey_of_data, grey_of_image, load_grey, make_thumb, thumb_array
from .matching.export import export_rows, to_csv, to_json
from .matching.groups import DuplicateGroup
from .matching.keeper import KeeperRule, parse_order
from .matching.pairs import mark_pairs
from .matching.plan import candidate_plans
from .matching.search import Query, SearchAnswer, search
from .matching.verify import VERIFIER, Picture, Verdict
from .media.files import FileStat, is_under, walk_photos
from .model.encoder import SEMANTIC, Encoder
from .model.meta import ModelMeta
from .paths import entry_location, physical, shown
from .progress import CancelToken, Progress, run_to_end
from .removal.batch import BatchPlan, plan_batch
from .removal.mover import check_destination
from .removal.rules import normalise, plan_removal
from .removal.trash import TrashReceipt, carry_out, recover, undo_last
from .storage.catalog import Catalog, PhotoEntry, PhotoFacts
from .storage.journal import Journal
from .storage.salvage import Salvage, read_what_survives, set_aside
from .storage.settings import KEEPER_ORDER, RAW_JPEG_REMOVABLE
from .storage.store import ContentFacts, Store
from .tiers import TIER_SIMILAR_SHOT


@dataclass(frozen=True)
class LibraryInfo:
    photos: int
    indexed: int
    errors: dict[str, int]
    model: str
    provider: str
    roots: list[str]
    path: str


@dataclass(frozen=True)
class BatchReceipt:
    """One removal step over many groups: what moved, and each selection that was refused."""

    receipt: TrashReceipt
    refused: list[tuple[list[str], str]]
    """(the files of one group as given, why the rules refused them)."""


@dataclass(frozen=True)
class EncodedFile:
    """The code of one image file, or why there is none (``encode``, no library)."""

    path: str
    code: np.ndarray | None
    """Packed semantic code (uint64 words), None on error."""
    error: DecodeError | None
    bits: int


class Library:
    """One photo library: its database, its model, and the questions it answers."""

    def __init__(
        self,
        path: Path | str,
        model_path: Path | None = None,
        create: bool = True,
        config: EngineConfig | None = None,
    ) -> None:
        """Open the library at ``path``; with ``create`` false a missing one is an error."""
        self.config = config or EngineConfig.from_env()
        self.path = Path(path)
        self.store = Store(self.path, create=create, busy_timeout_s=self.config.busy_timeout_s)
        self.journal = Journal(self.store)
        self.catalog = Catalog(self.store)
        self._model_path = model_path or self.config.model_path
        self._pipeline: Pipeline | None = None
        self._collection: tuple[object, Collection] | None = None
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

    # -- the model ---------------------------------------------------------------------

    @property
    def pipeline(self) -> Pipeline:
        """Read, decode and encode; the model loads on first use (listing never needs it)."""
        if self._pipeline is None:
            encoder = Encoder(
                self._model_path, self.config.inference_threads or None, self.config.cpu_only
            )
            self._pipeline = Pipeline(encoder, self.config)
        return self._pipeline

    @property
    def encoder(self) -> Encoder:
        return self.pipeline.encoder

    @property
    def model(self) -> ModelMeta:
        """What the model file says about itself: codes, preprocessing, tier radii."""
        return self.encoder.meta

    @property
    def provider(self) -> str:
        """The onnxruntime provider that really runs the model (CUDA or CPU)."""
        return self.encoder.provider

    # -- indexing ----------------------------------------------------------------------

    def add_roots(self, paths: Iterable[Path | str]) -> list[Path]:
        resolved = [physical(p) for p in paths]
        self.store.add_roots(resolved)
        return resolved

    def roots(self) -> list[Path]:
        return self.store.roots()

    def remove_root(self, root: Path | str) -> int:
        """Stop tracking a folder (and the reference folders inside it); returns how many
        photo rows were forgotten. Touches no file."""
        for folder in self.references():
            if is_under(folder, root):
                self.store.remove_reference(folder)
        return self.store.remove_root(Path(root))

    def scan(
        self, paths: Iterable[Path] | None = None, cancel: CancelToken | None = None
    ) -> Generator[Progress, None, ScanSummary]:
        """Index ``paths`` (default: every root), yielding progress; returns the summary."""
        roots = self.roots() if paths is None else [physical(p) for p in paths]
        return (yield from Scanner(self.store, self.pipeline).scan(roots, cancel))

    def run_scan(self, paths: Iterable[Path] | None = None) -> ScanSummary:
        """Scan to the end without progress reports."""
        return run_to_end(self.scan(paths))

    def watch(
        self, on_change: Callable[[LibraryChange], None], settle: float | None = None
    ) -> Watcher:
        """Reconcile with the disk, then follow the roots until ``Watcher.stop()``.

        ``on_change`` is called from the watcher's thread after each synced batch.
        """
        scanner = Scanner(self.store, self.pipeline)
        settle = self.config.watch_settle_s if settle is None else settle
        return Watcher(self.store, scanner, self.roots(), on_change, settle, self.config).start()

    # -- the keeper rule, reference folders, pairs (issue 12) ---------------------------

    def keeper_order(self) -> tuple[str, ...]:
        """The keeper criteria in force, in order (matching/keeper.py)."""
        try:
            return parse_order(self.store.get(KEEPER_ORDER))
        except ValueError:  # written by a newer Twinlens with more criteria
            return parse_order("default")

    def set_keeper_order(self, order: str) -> tuple[str, ...]:
        """Remember the keeper criteria (``"pixels,quality"``; ``"default"``).

        Raises:
            BadChoice: an unknown or repeated criterion.
        """
        chosen = _order(order)
        self.store.put(KEEPER_ORDER, ",".join(chosen))
        return chosen

    def keeper_rule(self, prefer: str | None = None) -> KeeperRule:
        order = self.keeper_order() if prefer is None else _order(prefer)
        return KeeperRule(order, tuple(self.references()))

    def references(self) -> list[Path]:
        """Folders whose photos are always kept."""
        return self.store.references()

    def add_reference(self, path: Path | str) -> bool:
        """Mark a folder "keep always"; returns whether it became a library folder too."""
        folder = physical(path)
        if not folder.is_dir():
            raise BadChoice(f"{shown(path)} is not a folder: a reference folder is a folder")
        added = not any(is_under(folder, root) for root in self.roots())
        if added:
            self.add_roots([folder])
        self.store.add_reference(folder)
        return added

    def remove_reference(self, path: Path | str) -> None:
        """Unmark a reference folder (it stays a library folder; no file is touched)."""
        if not self.store.remove_reference(physical(path)):
            known = ", ".join(shown(p) for p in self.references()) or "none"
            raise BadChoice(f"{shown(path)} is not a reference folder (they are: {known})")

    def raw_jpeg_removable(self) -> bool:
        """Whether the JPEG of a RAW + JPEG pair counts as a removable duplicate."""
        return self.store.get(RAW_JPEG_REMOVABLE)

    def set_raw_jpeg_removable(self, removable: bool) -> None:
        self.store.put(RAW_JPEG_REMOVABLE, removable)

    def settings(self) -> dict[str, str]:
        """Every library setting (storage/settings.py) and its value, as text."""
        return {
            KEEPER_ORDER.key: ",".join(self.keeper_order()),
            RAW_JPEG_REMOVABLE.key: "true" if self.raw_jpeg_removable() else "false",
        }

    def change_setting(self, key: str, value: str) -> str:
        """Set a library setting from text; returns the value now in force.

        Raises:
            BadChoice: an unknown setting or a value it cannot take.
        """
        if key == KEEPER_ORDER.key:
            return ",".join(self.set_keeper_order(value))
        if key == RAW_JPEG_REMOVABLE.key:
            answer = {"true": True, "yes": True, "on": True, "false": False, "no": False}
            if value.lower() not in answer and value.lower() != "off":
                raise BadChoice(f"{key} is true or false, not {value!r}")
            self.set_raw_jpeg_removable(answer.get(value.lower(), False))
            return self.settings()[key]
        raise BadChoice(f"no library setting {key!r}; they are: {', '.join(self.settings())}")

    # -- questions -----------------------------------------------------------------------

    def collection(self) -> Collection:
        """The indexed contents and their codes, re-read only after the library changed."""
        token = self.store.version()
        if self._collection is None or self._collection[0] != token:
            self._collection = (token, self._read_collection())
        return self._collection[1]

    def _read_collection(self) -> Collection:
        meta = self.model
        kinds = list(meta.code_kinds)
        contents = self.store.indexed_contents(meta.key, kinds)
        candidates = [_candidate(h, files, facts) for h, (files, _, facts) in contents.items()]
        blobs = {kind: [c[1][k] for c in contents.values()] for k, kind in enumerate(kinds)}
        bits = {spec.kind: spec.bits for spec in meta.code_specs}
        return Collection.of(candidates, blobs, bits)

    def duplicate_groups(
        self,
        within: Iterable[Path] | None = None,
        include_similar: bool = False,
        report: Report | None = None,
        prefer: str | None = None,
    ) -> list[DuplicateGroup]:
        """Exact, same-photo and edited-copy groups; similar shots only when asked, apart.

        ``report`` (optional) receives how many pairs each source and step handled;
        ``prefer`` overrides the library's keeper criteria for this answer only.
        """
        rule = self.keeper_rule(prefer)
        collection = self.collection()
        candidates, codes = collection.candidates, collection.codes
        by_signature = signature_candidates(self.store, collection)
        packed, has = collection.signatures()
        if within is not None:
            prefixes = [physical(p) for p in within]
            keep = [
                i
                for i, c in enumerate(candidates)
                if any(is_under(p, prefix) for p in c.paths for prefix in prefixes)
            ]
            candidates = [_only_under(candidates[i], prefixes) for i in keep]
            codes = {kind: rows[keep] for kind, rows in codes.items()}
            by_signature = pairs_within(by_signature, keep, len(collection))
            packed, has = packed[keep], has[keep]
        meta = self.model
        evidence, learned = self._evidence(candidates)
        groups, keepers = find_duplicates(
            candidates,
            codes,
            candidate_plans(meta),
            evidence,
            report,
            rule,
            by_signature,
            (packed, has),
        )
        self.store.remember_verdicts(VERIFIER, learned)
        if include_similar:
            groups += similar_groups(
                candidates,
                codes[SEMANTIC],
                meta.bits,
                meta.radius(TIER_SIMILAR_SHOT),
                groups,
                keepers,
                rule,
            )
        content_of = {p: c for c in candidates for p in c.paths}
        groups = mark_pairs(groups, content_of, self.store.get(RAW_JPEG_REMOVABLE))
        return without_dismissed(groups, candidates, self.store.dismissed())

    def _evidence(
        self, candidates: list[Candidate]
    ) -> tuple[Evidence, list[tuple[str, str, str, str]]]:
        """What verification reads from this library: thumbnails (made on demand for
        contents indexed before they were stored), decodes, and the cache of verdicts."""
        known: dict[tuple[str, str], tuple[str, str]] = {}
        loaded = False  # read on first use: a search never asks for cached verdicts
        learned: list[tuple[str, str, str, str]] = []

        def verdicts() -> dict[tuple[str, str], tuple[str, str]]:
            nonlocal loaded
            if not loaded:
                known.update(self.store.verdicts(VERIFIER))
                loaded = True
            return known

        def thumbs_of(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            hashes = [candidates[int(r)].hash for r in rows]
            stored = self.store.thumbs(hashes)
            missing = [int(r) for r, h in zip(rows, hashes, strict=True) if stored.get(h) is None]
            made = {
                candidates[r].hash: thumb
                for r in missing
                if (thumb := make_thumb(candidates[r])) is not None
            }
            if made:
                self.store.set_thumbs(made)
                stored.update(made)
            return thumb_array([stored.get(h) for h in hashes])

        def cached(a: str, b: str) -> Verdict | None:  # called once per candidate pair
            found = verdicts().get((a, b) if a < b else (b, a))
            if found is None:
                return None
            verdict = Verdict.from_json(*found)
            return verdict if a < b else verdict.seen_from_the_other_side()

        def remember(a: str, b: str, verdict: Verdict) -> None:
            low, high = sorted((a, b))
            kept = verdict if (a, b) == (low, high) else verdict.seen_from_the_other_side()
            verdicts()[(low, high)] = (kept.tier, kept.to_json())
            learned.append((low, high, kept.tier, kept.to_json()))

        return Evidence(thumbs_of, load_grey, cached, remember), learned

    def search_file(self, path: Path | str, top: int = 40) -> SearchAnswer:
        """Search the library with an image file, which may itself be in the library.

        Raises:
            DecodeError: the file cannot be read as a photo.
        """
        where = entry_location(path)
        prepared = self.pipeline.prepare_path(Path(where))
        return self._search(prepared, where, top, load_grey(Picture(0, 0, None, (where,))))

    def search_data(self, data: bytes, top: int = 40) -> SearchAnswer:
        """Search with image bytes (dropped from a browser, pasted): decoded here, never stored.

        Raises:
            DecodeError: the data is not an image Twinlens can read.
        """
        prepared = self.pipeline.prepare_data(data, "pasted image")
        return self._search(prepared, None, top, grey_of_data(data))

    def search_image(self, image: Image.Image, top: int = 40) -> SearchAnswer:
        """Search with an image already in memory (no bytes: no exact-copy check)."""
        prepared = self.pipeline.prepare_image(image, "pasted image")
        return self._search(prepared, None, top, grey_of_image(image))

    def _search(
        self, prepared: Prepared, path: str | None, top: int, grey: np.ndarray | None
    ) -> SearchAnswer:
        self.pipeline.encode([prepared])
        facts = prepared.facts
        assert facts is not None  # prepared from pixels: its facts were measured
        query = Query(
            label=prepared.path,
            code=prepared.codes[SEMANTIC],
            codes=dict(prepared.codes),
            signature=facts.signature,
            thumb=facts.thumb,
            picture=Picture(facts.width, facts.height, facts.saturation, ()),
            content=prepared.hash,
            path=path,
            grey=grey,
        )
        collection = self.collection()
        evidence, _ = self._evidence(collection.candidates)
        return search(collection, query, self.model.tier_radii, top, evidence)

    # -- listings ------------------------------------------------------------------------

    def photos(
        self, sort: str = "date", offset: int = 0, limit: int | None = None
    ) -> list[PhotoEntry]:
        """The library's files for browsing, in ``sort`` order (storage/catalog.py)."""
        return self.catalog.list_photos(sort, offset, limit)

    def photo_entries(self, paths: Iterable[str]) -> dict[str, PhotoEntry]:
        """The grid rows of these files now (those the library still lists), by path."""
        return self.catalog.entries_of(list(paths))

    def sizes(self, paths: Iterable[str]) -> dict[str, int]:
        """File sizes in bytes as indexed, by path (a confirmation's megabytes)."""
        return {p: f.size for p, f in self.catalog.facts_of(list(paths)).items()}

    def count_photos(self) -> int:
        return self.catalog.count_photos()

    def failed_photos(self) -> list[PhotoEntry]:
        return self.catalog.failed_photos()

    def photo_facts(self, path: str) -> PhotoFacts | None:
        return self.catalog.photo_facts(path)

    def export_groups(self, groups: Iterable[DuplicateGroup], fmt: str) -> str:
        """The groups as ``"csv"`` or ``"json"`` text, one row per file (matching/export.py)."""
        chosen = list(groups)
        facts = self.catalog.facts_of([m.path for g in chosen for m in g.members])
        rows = export_rows(chosen, facts)
        if fmt not in ("csv", "json"):
            raise BadChoice(f"cannot export as {fmt!r}: choose csv or json")
        return to_csv(rows) if fmt == "csv" else to_json(rows)

    def errors(self) -> list[tuple[str, str, str]]:
        return [(r.path, r.reason or "", r.detail or "") for r in self.store.error_photos()]

    def info(self) -> LibraryInfo:
        photos, indexed, errors = self.store.counts(self.model.key)
        return LibraryInfo(
            photos=photos,
            indexed=indexed,
            errors=errors,
            model=self.model.key,
            provider=self.provider,
            roots=[str(p) for p in self.roots()],
            path=str(self.path),
        )

    # -- removal and review --------------------------------------------------------------

    def trash(self, paths: Iterable[Path | str], to: Path | str | None = None) -> TrashReceipt:
        """Move duplicates to the system trash (or into the folder ``to``, keeping their
        paths), refusing unsafe removals (removal/rules.py): all or nothing."""
        self.store.check_pages()  # a removal writes: refuse a damaged library before any check
        folder = None if to is None else check_destination(to, self.roots())
        wanted = normalise(list(paths))
        groups = self.duplicate_groups()
        plan = plan_removal(
            self.store, wanted, self.roots(), groups, self.references(), _always_kept(groups)
        )
        return carry_out(self.journal, plan, folder, self.roots())

    def remove_groups(
        self, selections: Iterable[Iterable[Path | str]], to: Path | str | None = None
    ) -> BatchReceipt:
        """Remove several groups' files as one undoable step (removal/batch.py): each
        group's selection is checked on its own; refused ones are reported, the rest go."""
        self.store.check_pages()
        folder = None if to is None else check_destination(to, self.roots())
        groups = self.duplicate_groups()
        batch: BatchPlan = plan_batch(
            self.store,
            [[str(p) for p in s] for s in selections],
            self.roots(),
            groups,
            self.references(),
            _always_kept(groups),
        )
        if not batch.plan.files:
            return BatchReceipt(TrashReceipt(0, []), batch.refused)
        receipt = carry_out(self.journal, batch.plan, folder, self.roots())
        return BatchReceipt(receipt, batch.refused)

    def undo(self) -> list[str]:
        """Restore the last removal step; returns the restored paths."""
        self.store.check_pages()
        return undo_last(self.journal)

    def can_undo(self) -> bool:
        return self.journal.last_step() is not None

    def dismiss_group(self, paths: Iterable[Path | str]) -> None:
        """Remember that these photos are not duplicates, so their group does not come back."""
        rows = self.store.photos_by_path(entry_location(p) for p in paths)
        hashes = sorted({r.hash for r in rows.values() if r.hash})
        if len(hashes) > 1:
            self.store.dismiss(hashes)


def encode_files(
    paths: Iterable[Path], config: EngineConfig | None = None
) -> Iterator[EncodedFile]:
    """Codes of image files (folders are walked), in batches, without any library."""
    config = config or EngineConfig.from_env()
    pipeline = Pipeline(
        Encoder(config.model_path, config.inference_threads or None, config.cpu_only), config
    )
    bits = pipeline.encoder.meta.bits
    stats: list[FileStat] = []
    for path in map(Path, paths):
        if path.is_dir():
            stats.extend(walk_photos([path]))
        else:
            info = path.stat()
            stats.append(FileStat(path.absolute(), info.st_size, info.st_mtime_ns))
    for batch in pipeline.run(stats):
        for item in batch:
            code = item.codes.get(SEMANTIC)
            yield EncodedFile(str(Path(item.path).absolute()), code, item.error, bits)


def _candidate(content: str, files: list[tuple[str, int]], fact: ContentFacts | None) -> Candidate:
    files = sorted(files)
    if fact is None:
        paths = tuple(p for p, _ in files)
        return Candidate(content, paths, tuple(m for _, m in files), 0, 0, 0, "", "")
    return Candidate(
        hash=content,
        paths=tuple(p for p, _ in files),
        mtimes=tuple(m for _, m in files),
        pixels=(fact.width or 0) * (fact.height or 0),
        width=fact.width or 0,
        height=fact.height or 0,
        camera=fact.camera or "",
        taken_at=fact.taken_at or "",
        signature=fact.signature,
        format=fact.format or "",
        saturation=fact.saturation,
        quality=fact.quality or 0,
        trim_signature=fact.trim_signature,
        compression=fact.compression or ("lossy" if fact.format == "JPEG" else ""),
    )


def _order(text: str) -> tuple[str, ...]:
    try:
        return parse_order(text)
    except ValueError as exc:
        raise BadChoice(str(exc)) from exc


def _always_kept(groups: Iterable[DuplicateGroup]) -> dict[str, str]:
    """Files the grouping keeps whatever is asked (RAW + JPEG pairs), with why."""
    return {m.path: m.kept for g in groups for m in g.members if m.kept and not m.reference}


def _only_under(candidate: Candidate, prefixes: list[Path]) -> Candidate:
    """The candidate with only its files below ``prefixes`` (``dupes FOLDER``)."""
    kept = [
        (p, m)
        for p, m in zip(candidate.paths, candidate.mtimes, strict=True)
        if any(is_under(p, prefix) for prefix in prefixes)
    ]
    if len(kept) == len(candidate.paths):
        return candidate
    return replace(candidate, paths=tuple(p for p, _ in kept), mtimes=tuple(m for _, m in kept))
